import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The seed-format body (hmac-sha256 and standard-webhooks banks); validated by the intake. */
export class SeedWebhookBodyDto {
  @ApiProperty({ example: 'txn_001', maxLength: 200 }) transaction_id!: string;
  @ApiProperty({
    oneOf: [{ type: 'number' }, { type: 'string' }],
    example: 5000,
    description:
      'Greater than 0; a number or a decimal string; no more decimals than the currency has',
  })
  amount!: number | string;
  @ApiProperty({ example: 'NGN', description: 'ISO 4217' }) currency!: string;
  @ApiProperty({ example: '2026-02-27T12:00:00Z', format: 'date-time' }) occurred_at!: string;
  @ApiPropertyOptional({ example: 'INV-001' }) reference?: string;
  @ApiPropertyOptional({ example: 'Transfer' }) description?: string;
  @ApiPropertyOptional({ enum: ['credit', 'debit'], default: 'credit' }) direction?: string;
  @ApiPropertyOptional({ example: 'Acme Ltd' }) counterparty?: string;
  @ApiPropertyOptional({
    example: 'GB82 WEST 1234 5698 7654 32',
    description:
      "The payer's IBAN (check digits verified) or account number (4 to 34 digits; spaces and " +
      '- allowed); stored compact',
  })
  counterparty_account?: string;
}

export class WebhookAckDto {
  @ApiProperty({ example: true }) ok!: boolean;
  @ApiProperty({ example: 'evt_001' }) event_id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'txn_001' }) transaction_id!: string | null;
  @ApiProperty({ example: 'accepted' }) status!: string;
  @ApiProperty({ example: false }) deduped!: boolean;
}

/** Up's webhook event, as far as the service reads it (Up's v1/openapi.json has all of it). */
export const UP_WEBHOOK_EVENT_SCHEMA = {
  type: 'object',
  description:
    "An `up` bank's delivery: Up's webhook event. The event id is `data.id`; the transaction " +
    'is fetched from Up through `relationships.transaction.links.related`.',
  required: ['data'],
  properties: {
    data: {
      type: 'object',
      required: ['type', 'id', 'attributes'],
      properties: {
        type: { type: 'string', example: 'webhook-events' },
        id: { type: 'string', description: 'The event id' },
        attributes: {
          type: 'object',
          properties: {
            eventType: {
              type: 'string',
              enum: ['PING', 'TRANSACTION_CREATED', 'TRANSACTION_SETTLED', 'TRANSACTION_DELETED'],
            },
            createdAt: { type: 'string', format: 'date-time' },
          },
        },
        relationships: {
          type: 'object',
          properties: {
            transaction: {
              type: 'object',
              properties: {
                data: {
                  type: 'object',
                  properties: { type: { type: 'string' }, id: { type: 'string' } },
                },
                links: {
                  type: 'object',
                  properties: { related: { type: 'string', format: 'uri' } },
                },
              },
            },
          },
        },
      },
    },
  },
};
