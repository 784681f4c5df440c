import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TransactionEntity } from '../transactions/transaction.entity';
import { EXCEPTION_REASONS, type ExceptionReason } from './matcher';

export { EXCEPTION_REASONS };

/**
 * The current exception of a transaction that matching could not fully allocate: one row, one
 * reason, set and cleared by matching in the same database transaction as its allocations.
 */
@Entity('transaction_exceptions')
@Index('ix_transaction_exceptions_created', ['createdAt', 'transactionId'])
@Index('ix_transaction_exceptions_reason', ['reason', 'createdAt', 'transactionId'])
@Index('ix_transaction_exceptions_unsuggested', ['createdAt', 'transactionId'], {
  where: 'suggested_at IS NULL',
})
@Check(
  'ck_transaction_exceptions_reason',
  `reason IN (${EXCEPTION_REASONS.map((r) => `'${r}'`).join(', ')})`,
)
export class TransactionExceptionEntity {
  @PrimaryColumn({ name: 'transaction_id', type: 'uuid' })
  transactionId!: string;

  @ManyToOne(() => TransactionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'transaction_id' })
  transaction?: TransactionEntity;

  @Column({ type: 'text' })
  reason!: ExceptionReason;

  /** When its suggestions were last computed; NULL: (re)compute them (new, or money moved). */
  @Column({ name: 'suggested_at', type: 'timestamptz', precision: 3, nullable: true })
  suggestedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt!: Date;
}
