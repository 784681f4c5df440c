import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { InvoiceEntity } from '../invoices/invoice.entity';
import { TransactionEntity } from '../transactions/transaction.entity';
import { ReconciliationRunEntity } from './reconciliation-run.entity';

export const ALLOCATION_RULES = ['single', 'multi', 'manual', 'suggestion', 'write_off'] as const;
export type AllocationRule = (typeof ALLOCATION_RULES)[number];

/**
 * One allocation of (part of) a transaction to an invoice. Live while reversed_at is NULL; a
 * reversal marks the row (who, when, why) and is never a delete, so this is the audit trail.
 */
@Entity('transaction_matches')
@Index('ix_transaction_matches_transaction', ['transactionId'])
@Index('ix_transaction_matches_invoice', ['invoiceId', 'createdAt', 'id'])
@Index('ix_transaction_matches_run', ['runId', 'createdAt', 'id'], { where: 'run_id IS NOT NULL' })
@Check('ck_transaction_matches_amount', `amount > 0`)
@Check(
  'ck_transaction_matches_rule',
  `rule IN (${ALLOCATION_RULES.map((r) => `'${r}'`).join(', ')})`,
)
@Check(
  'ck_transaction_matches_reversal',
  `(reversed_at IS NULL) = (reversed_by IS NULL) AND (reversed_at IS NULL) = (reversal_reason IS NULL)`,
)
export class TransactionMatchEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'transaction_id', type: 'uuid' })
  transactionId!: string;

  @ManyToOne(() => TransactionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'transaction_id' })
  transaction?: TransactionEntity;

  @Column({ name: 'invoice_id', type: 'uuid' })
  invoiceId!: string;

  @ManyToOne(() => InvoiceEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'invoice_id' })
  invoice?: InvoiceEntity;

  @Column({ type: 'numeric', precision: 20, scale: 4 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  /**
   * Which rule allocated it: the matcher's `single` or `multi`, `write_off` (an exact reference
   * short by what a write-off rule allows), `suggestion` (accepted, or applied automatically), or
   * `manual`.
   */
  @Column({ type: 'text' })
  rule!: AllocationRule;

  /** The run that allocated it; NULL for real-time and manual allocations. */
  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId!: string | null;

  @ManyToOne(() => ReconciliationRunEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'run_id' })
  run?: ReconciliationRunEntity;

  /** `system` for automatic matching, else the staff key's name. */
  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_by_key_id', type: 'uuid', nullable: true })
  createdByKeyId!: string | null;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'reversed_at', type: 'timestamptz', precision: 3, nullable: true })
  reversedAt!: Date | null;

  @Column({ name: 'reversed_by', type: 'text', nullable: true })
  reversedBy!: string | null;

  @Column({ name: 'reversed_by_key_id', type: 'uuid', nullable: true })
  reversedByKeyId!: string | null;

  @Column({ name: 'reversal_reason', type: 'text', nullable: true })
  reversalReason!: string | null;
}
