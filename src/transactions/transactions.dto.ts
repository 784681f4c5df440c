import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { PageQuery } from '../common/pagination';
import { formatAmount } from '../common/money';
import {
  MATCH_STATUSES,
  TRANSACTION_STATUSES,
  type MatchStatus,
  type TransactionEntity,
  type TransactionStatus,
} from './transaction.entity';

export class TransactionQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'bank id' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  bank?: string;

  @ApiPropertyOptional({ description: "the bank's transaction id" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  external_id?: string;

  @ApiPropertyOptional({ enum: TRANSACTION_STATUSES })
  @IsOptional()
  @IsIn(TRANSACTION_STATUSES)
  status?: TransactionStatus;

  @ApiPropertyOptional({ enum: MATCH_STATUSES })
  @IsOptional()
  @IsIn(MATCH_STATUSES)
  match_status?: MatchStatus;

  @ApiPropertyOptional({ description: 'exact reference' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reference?: string;

  @ApiPropertyOptional({ description: '`occurred_at >= from` (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: '`occurred_at < to` (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class TransactionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'default' }) bank_id!: string;
  @ApiProperty({ example: 'txn_001' }) external_id!: string;
  @ApiProperty({ type: String, nullable: true, example: '5000.00' }) amount!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'NGN' }) currency!: string | null;
  @ApiProperty({ enum: ['credit', 'debit'] }) direction!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) occurred_at!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'INV-001' }) reference!: string | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: String, nullable: true }) counterparty!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'GB82WEST12345698765432',
    description: "The payer's IBAN or account number (compact), where the source gives one",
  })
  counterparty_account!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The bank's unprocessed text (Up's rawText); searched for invoice numbers last",
  })
  raw_text!: string | null;
  @ApiProperty({ enum: ['webhook', 'pull', 'statement'] }) source!: string;
  @ApiProperty({ enum: TRANSACTION_STATUSES }) status!: TransactionStatus;
  @ApiProperty({ type: String, nullable: true, example: null }) bank_status!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '10.00',
    description: "Up's foreignAmount: the amount in the purchase's own currency (decimal string)",
  })
  foreign_amount!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'USD' }) foreign_currency!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '15.20',
    description: "Up's holdInfo.amount: what was held before settlement (decimal string)",
  })
  hold_amount!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'AUD' }) hold_currency!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) settled_at!: string | null;
  @ApiProperty({
    enum: MATCH_STATUSES,
    description: 'not_applicable: nothing to match (a transaction of amount 0)',
  })
  match_status!: MatchStatus;
  @ApiProperty({ type: String, nullable: true, example: '0.00' }) unallocated_amount!:
    string | null;
  @ApiProperty({ example: 1 }) attempts!: number;
  @ApiProperty({ type: String, nullable: true }) last_error!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) processed_at!: string | null;
}

export class TransactionListDto {
  @ApiProperty({ type: [TransactionDto] }) data!: TransactionDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export function toTransactionDto(t: TransactionEntity): TransactionDto {
  const money = (v: string | null, currency = t.currency): string | null =>
    v === null || currency === null ? v : formatAmount(v, currency);
  return {
    id: t.id,
    bank_id: t.bankId,
    external_id: t.externalId,
    amount: money(t.amount),
    currency: t.currency,
    direction: t.direction,
    occurred_at: t.occurredAt ? t.occurredAt.toISOString() : null,
    reference: t.reference,
    description: t.description,
    counterparty: t.counterparty,
    counterparty_account: t.counterpartyAccount,
    raw_text: t.rawText,
    source: t.source,
    status: t.status,
    bank_status: t.bankStatus,
    foreign_amount: money(t.foreignAmount, t.foreignCurrency),
    foreign_currency: t.foreignCurrency,
    hold_amount: money(t.holdAmount, t.holdCurrency),
    hold_currency: t.holdCurrency,
    settled_at: t.settledAt ? t.settledAt.toISOString() : null,
    match_status: t.matchStatus,
    unallocated_amount: money(t.unallocatedAmount),
    attempts: t.attempts,
    last_error: t.lastError,
    created_at: t.createdAt.toISOString(),
    processed_at: t.processedAt ? t.processedAt.toISOString() : null,
  };
}

/** `POST /transactions/retry`: FAILED transactions back in the queue, all at once. */
export class BulkRetryDto {
  @ApiProperty({ enum: ['FAILED'], example: 'FAILED', description: 'only FAILED is retried' })
  @IsIn(['FAILED'])
  status!: 'FAILED';

  @ApiPropertyOptional({ description: 'bank id', example: 'acme' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  bank?: string;

  @ApiPropertyOptional({
    description: 'occurred_at >= from (ISO 8601), as in GET /transactions',
    example: '2026-02-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({
    description: 'occurred_at < to (ISO 8601), as in GET /transactions',
    example: '2026-03-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiProperty({
    example: true,
    description: 'true: only count what would be retried, change nothing (required)',
  })
  @IsDefined()
  @IsBoolean()
  dry_run!: boolean;
}

export class BulkRetryResultDto {
  @ApiProperty({ example: 12, description: 'FAILED transactions re-queued (or, dry run, found)' })
  count!: number;

  @ApiPropertyOptional({
    type: [String],
    description: 'Not on a dry run: the ids re-queued, at most 1000',
    example: ['3f0e2b9c-5d1a-4a57-9c1e-2b7d8f6a1c00'],
  })
  transaction_ids?: string[];

  @ApiPropertyOptional({ example: false, description: 'Not on a dry run: more than 1000 ids' })
  ids_truncated?: boolean;
}
