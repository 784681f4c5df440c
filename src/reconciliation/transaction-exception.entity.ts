import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TransactionEntity } from '../transactions/transaction.entity';
import type { ExceptionReason } from './matcher';

export const EXCEPTION_REASONS: readonly ExceptionReason[] = [
  'no_reference',
  'unknown_invoice',
  'currency_mismatch',
  'invoice_cancelled',
  'invoice_already_paid',
  'ambiguous',
  'overpayment',
];

/**
 * The current exception of a transaction that matching could not fully allocate: one row, one
 * reason, set and cleared by matching in the same database transaction as its allocations.
 */
@Entity('transaction_exceptions')
@Index('ix_transaction_exceptions_created', ['createdAt', 'transactionId'])
@Index('ix_transaction_exceptions_reason', ['reason', 'createdAt', 'transactionId'])
@Check(
  'ck_transaction_exceptions_reason',
  `reason IN ('no_reference', 'unknown_invoice', 'currency_mismatch', 'invoice_cancelled', 'invoice_already_paid', 'ambiguous', 'overpayment')`,
)
export class TransactionExceptionEntity {
  @PrimaryColumn({ name: 'transaction_id', type: 'uuid' })
  transactionId!: string;

  @ManyToOne(() => TransactionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'transaction_id' })
  transaction?: TransactionEntity;

  @Column({ type: 'text' })
  reason!: ExceptionReason;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt!: Date;
}
