import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { TRANSACTION_STATUSES, type TransactionStatus } from '../transactions/transaction.entity';

/**
 * What the intake did with an event, read from what is stored: `created` (the transaction was
 * stored from this event), `duplicate` (it names a transaction stored from another event: a
 * seed-format body then kept the raw event only; an Up event or a pulled version may have
 * refreshed it, see `event_type`), `no_transaction` (it names none, e.g. Up's PING).
 */
export const EVENT_OUTCOMES = ['created', 'duplicate', 'no_transaction'] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

// OpenAPI 3.0: a nullable enum lists null among its values, or validators refuse the null.
const NULLABLE_STATUSES = [...TRANSACTION_STATUSES, null];

export const REPLAY_RESULTS = ['created', 'updated', 'requeued', 'unchanged'] as const;
export type ReplayResult = (typeof REPLAY_RESULTS)[number];

export class WebhookEventQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'bank id', example: 'acme' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  bank?: string;

  @ApiPropertyOptional({ description: 'received_at >= from (ISO 8601)', example: '2026-02-27' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    description: 'received_at < to (ISO 8601)',
    example: '2026-02-28T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: EVENT_OUTCOMES })
  @IsOptional()
  @IsIn(EVENT_OUTCOMES)
  outcome?: EventOutcome;

  @ApiPropertyOptional({
    enum: TRANSACTION_STATUSES,
    description: 'status of the transaction the event names (FAILED: candidates for a replay)',
  })
  @IsOptional()
  @IsIn(TRANSACTION_STATUSES)
  transaction_status?: TransactionStatus;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "the service's transaction id: every event that names that transaction",
  })
  @IsOptional()
  @IsUUID()
  transaction_id?: string;
}

export class WebhookEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'acme' }) bank_id!: string;
  @ApiProperty({ example: 'evt_001', description: "the bank's event id" }) event_id!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: "null for seed-format webhooks; Up's eventType; `pull` for a pulled version",
  })
  event_type!: string | null;
  @ApiProperty({ format: 'date-time' }) received_at!: string;
  @ApiProperty({
    example: 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c',
    description: 'hex SHA-256 of the stored bytes',
  })
  body_sha256!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'content-type': 'application/json', 'x-event-id': 'evt_001' },
    description:
      'The delivery headers kept for audit, lower-case: content type, user agent, the event ' +
      'id and timestamp headers. Signatures are stored but never shown.',
  })
  headers!: Record<string, string>;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description: "the service's transaction the event names (GET /transactions/{id})",
  })
  transaction_id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'txn_001' })
  external_transaction_id!: string | null;
  @ApiProperty({ enum: EVENT_OUTCOMES, example: 'created' }) outcome!: EventOutcome;
  @ApiProperty({ enum: NULLABLE_STATUSES, nullable: true, example: 'PROCESSED' })
  transaction_status!: TransactionStatus | null;
}

export class WebhookEventDetailDto extends WebhookEventDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '{"transaction_id":"txn_001","amount":5000,"currency":"NGN"}',
    description: 'The stored bytes as UTF-8 text; null if they are not UTF-8',
  })
  body!: string | null;
  @ApiProperty({
    example: 'eyJ0cmFuc2FjdGlvbl9pZCI6InR4bl8wMDEiLCJhbW91bnQiOjUwMDAsImN1cnJlbmN5IjoiTkdOIn0=',
    description: 'The stored bytes, exactly, base64',
  })
  body_base64!: string;
}

export class WebhookEventListDto {
  @ApiProperty({ type: [WebhookEventDto] }) data!: WebhookEventDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class ReplayResultDto {
  @ApiProperty({ format: 'uuid', description: 'the webhook event replayed' }) event_id!: string;
  @ApiProperty({ enum: REPLAY_RESULTS, example: 'requeued' }) result!: ReplayResult;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) transaction_id!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'txn_001' })
  external_transaction_id!: string | null;
  @ApiProperty({ enum: NULLABLE_STATUSES, nullable: true, example: 'PENDING' })
  transaction_status!: TransactionStatus | null;
  @ApiProperty({
    example: 'the transaction was FAILED: back in the queue with a fresh set of attempts',
  })
  detail!: string;
}
