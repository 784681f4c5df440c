import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const TRANSACTION_STATUSES = ['PENDING', 'PROCESSED', 'FAILED', 'VOIDED'] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];
/** not_applicable: nothing to match (a transaction of amount 0, a debit that is no refund). */
export const MATCH_STATUSES = [
  'unmatched',
  'partially_allocated',
  'matched',
  'not_applicable',
] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];
export type Direction = 'credit' | 'debit';
export type TransactionSource = 'webhook' | 'pull' | 'statement';

/**
 * The normalized transaction, unique per (bank, bank's transaction id). It is also the
 * background work item: PENDING rows whose next_attempt_at has come are claimed with
 * FOR UPDATE SKIP LOCKED and leased by pushing next_attempt_at forward.
 */
@Entity('transactions')
@Index('uq_transactions_bank_external', ['bankId', 'externalId'], { unique: true })
@Index('ix_transactions_due', ['nextAttemptAt'], { where: `status = 'PENDING'` })
@Index('ix_transactions_failed', ['createdAt'], { where: `status = 'FAILED'` })
@Index('ix_transactions_created', ['createdAt', 'id'])
// The bulk retry's candidates (POST /transactions/retry); only FAILED rows enter it.
@Index('ix_transactions_failed', ['bankId', 'occurredAt'], { where: `status = 'FAILED'` })
// The candidates of a reconciliation run, in the order it reads them.
@Index('ix_transactions_match_candidates', ['createdAt', 'id'], {
  where: `status = 'PROCESSED' AND ((direction = 'credit' AND unallocated_amount > 0) OR (direction = 'debit' AND match_status = 'unmatched'))`,
})
@Check('ck_transactions_status', `status IN ('PENDING', 'PROCESSED', 'FAILED', 'VOIDED')`)
@Check(
  'ck_transactions_match_status',
  `match_status IN ('unmatched', 'partially_allocated', 'matched', 'not_applicable')`,
)
@Check('ck_transactions_direction', `direction IN ('credit', 'debit')`)
@Check('ck_transactions_source', `source IN ('webhook', 'pull', 'statement')`)
// 0 is a real booking (Up sends them); such a transaction is not_applicable to matching.
@Check('ck_transactions_amount', `amount IS NULL OR amount >= 0`)
@Check(
  'ck_transactions_extra_amounts',
  `(foreign_amount IS NULL OR foreign_amount >= 0) AND (hold_amount IS NULL OR hold_amount >= 0)`,
)
@Check(
  'ck_transactions_unallocated',
  `unallocated_amount IS NULL OR (unallocated_amount >= 0 AND unallocated_amount <= amount)`,
)
export class TransactionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'bank_id', type: 'text' })
  bankId!: string;

  @Column({ name: 'external_id', type: 'text' })
  externalId!: string;

  /** NULL only until the details are fetched (Up sends a link, not the transaction). */
  @Column({ type: 'numeric', precision: 20, scale: 4, nullable: true })
  amount!: string | null;

  @Column({ type: 'char', length: 3, nullable: true })
  currency!: string | null;

  @Column({ type: 'text', default: 'credit' })
  direction!: Direction;

  @Column({ name: 'occurred_at', type: 'timestamptz', precision: 3, nullable: true })
  occurredAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  counterparty!: string | null;

  /** The payer's IBAN or account number, compact (seed `counterparty_account`, statements). */
  @Column({ name: 'counterparty_account', type: 'text', nullable: true })
  counterpartyAccount!: string | null;

  /** Up's foreignAmount (magnitude; the direction is the transaction's). */
  @Column({ name: 'foreign_amount', type: 'numeric', precision: 20, scale: 4, nullable: true })
  foreignAmount!: string | null;

  @Column({ name: 'foreign_currency', type: 'char', length: 3, nullable: true })
  foreignCurrency!: string | null;

  /** Up's settledAt: when the bank settled it (null while HELD, or where unknown). */
  @Column({ name: 'settled_at', type: 'timestamptz', precision: 3, nullable: true })
  settledAt!: Date | null;

  /** Up's holdInfo.amount: what was held, which the settled amount may differ from. */
  @Column({ name: 'hold_amount', type: 'numeric', precision: 20, scale: 4, nullable: true })
  holdAmount!: string | null;

  @Column({ name: 'hold_currency', type: 'char', length: 3, nullable: true })
  holdCurrency!: string | null;

  /** A third text searched for invoice numbers (Up's rawText). */
  @Column({ name: 'raw_text', type: 'text', nullable: true })
  rawText!: string | null;

  @Column({ type: 'text', default: 'webhook' })
  source!: TransactionSource;

  @Column({ type: 'text', default: 'PENDING' })
  status!: TransactionStatus;

  /** The bank's own state where it has one (Up: HELD, SETTLED). HELD is never matched. */
  @Column({ name: 'bank_status', type: 'text', nullable: true })
  bankStatus!: string | null;

  /** Details must be (re)fetched from the bank's API before matching. */
  @Column({ name: 'needs_fetch', type: 'boolean', default: false })
  needsFetch!: boolean;

  /** The bank withdrew it (Up TRANSACTION_DELETED): processing voids it. */
  @Column({ name: 'void_requested', type: 'boolean', default: false })
  voidRequested!: boolean;

  /** Where the details come from (Up's link); always checked against the bank's base_url. */
  @Column({ name: 'details_url', type: 'text', nullable: true })
  detailsUrl!: string | null;

  @Column({ name: 'match_status', type: 'text', default: 'unmatched' })
  matchStatus!: MatchStatus;

  @Column({ name: 'unallocated_amount', type: 'numeric', precision: 20, scale: 4, nullable: true })
  unallocatedAmount!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', precision: 3, nullable: true })
  processedAt!: Date | null;

  /** The webhook event this transaction was stored from (no foreign key: see RawEvents). */
  @Column({ name: 'source_event_id', type: 'uuid', nullable: true })
  sourceEventId!: string | null;
}
