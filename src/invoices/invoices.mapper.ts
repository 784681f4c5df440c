import { formatAmount, subMoney } from '../common/money';
import type { InvoiceEntity } from './invoice.entity';
import type { InvoiceDto } from './invoices.dto';

export function toInvoiceDto(i: InvoiceEntity): InvoiceDto {
  const due = formatAmount(i.amountDue, i.currency);
  const paid = formatAmount(i.amountPaid, i.currency);
  const writtenOff = formatAmount(i.amountWrittenOff, i.currency);
  return {
    id: i.id,
    invoice_number: i.invoiceNumber,
    customer: i.customer,
    currency: i.currency,
    amount_due: due,
    amount_paid: paid,
    amount_outstanding:
      i.status === 'cancelled'
        ? formatAmount('0', i.currency)
        : subMoney(subMoney(due, paid, i.currency), writtenOff, i.currency),
    amount_written_off: writtenOff,
    status: i.status,
    due_date: i.dueDate,
    created_at: i.createdAt.toISOString(),
    updated_at: i.updatedAt.toISOString(),
    cancelled_at: i.cancelledAt ? i.cancelledAt.toISOString() : null,
    cancelled_by: i.cancelledBy,
  };
}
