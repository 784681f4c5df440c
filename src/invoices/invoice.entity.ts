import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const INVOICE_STATUSES = ['pending', 'partially_paid', 'paid', 'cancelled'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/**
 * An invoice. `amount_paid` is the sum of its live allocations, materialized here and written in
 * the same database transaction as every allocation or reversal, so that set-based matching can
 * read it under a row lock, and so that the CHECKs below make "never allocate more than is due"
 * a database guarantee. `amount_written_off` is what write-offs settled (a bank fee, rounding):
 * `status` is derived from the two (ck_invoices_status_paid), except cancelled.
 */
@Entity('invoices')
@Index('uq_invoices_normalized_number', ['normalizedNumber'], { unique: true })
@Index('ix_invoices_created', ['createdAt', 'id'])
@Index('ix_invoices_status_created', ['status', 'createdAt', 'id'])
@Check('ck_invoices_status', `status IN ('pending', 'partially_paid', 'paid', 'cancelled')`)
@Check('ck_invoices_amount_due', `amount_due > 0`)
@Index('ix_invoices_open_customer', ['customerKey', 'currency', 'createdAt', 'id'], {
  where: `status IN ('pending', 'partially_paid') AND customer_key IS NOT NULL`,
})
@Check(
  'ck_invoices_amount_paid',
  `amount_paid >= 0 AND amount_written_off >= 0 AND amount_paid + amount_written_off <= amount_due`,
)
@Check(
  'ck_invoices_status_paid',
  `(status = 'cancelled' AND amount_paid = 0 AND amount_written_off = 0) OR status = CASE WHEN amount_paid + amount_written_off = 0 THEN 'pending' WHEN amount_paid + amount_written_off < amount_due THEN 'partially_paid' ELSE 'paid' END`,
)
export class InvoiceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'invoice_number', type: 'text' })
  invoiceNumber!: string;

  /** `normalizeInvoiceNumber(invoice_number)`: what the matcher looks up, unique. */
  @Column({ name: 'normalized_number', type: 'text' })
  normalizedNumber!: string;

  @Column({ type: 'text', nullable: true })
  customer!: string | null;

  /** `partyKey(customer)`: how suggestions find a payer's open invoices. */
  @Column({ name: 'customer_key', type: 'text', nullable: true })
  customerKey!: string | null;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'amount_due', type: 'numeric', precision: 20, scale: 4 })
  amountDue!: string;

  @Column({ name: 'amount_paid', type: 'numeric', precision: 20, scale: 4, default: 0 })
  amountPaid!: string;

  @Column({
    name: 'amount_written_off',
    type: 'numeric',
    precision: 20,
    scale: 4,
    default: 0,
  })
  amountWrittenOff!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: InvoiceStatus;

  @Column({ name: 'due_date', type: 'date', nullable: true })
  dueDate!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'cancelled_at', type: 'timestamptz', precision: 3, nullable: true })
  cancelledAt!: Date | null;

  @Column({ name: 'cancelled_by', type: 'text', nullable: true })
  cancelledBy!: string | null;
}
