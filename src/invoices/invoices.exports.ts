/** `GET /invoices/export`: the fields of `InvoiceDto`, one row per invoice (src/common/export.ts). */
import { IntersectionType, PickType } from '@nestjs/swagger';
import { copyStatement, ExportFormatQuery, literal, type ExportColumn } from '../common/export';
import { normalizeInvoiceNumber } from '../reconciliation/matcher';
import { whereClause } from '../reconciliation/reconciliation.exports';
import { InvoiceListQuery } from './invoices.dto';

export class InvoiceExportQuery extends IntersectionType(
  ExportFormatQuery,
  PickType(InvoiceListQuery, ['status', 'number'] as const),
) {}

export const INVOICE_COLUMNS: ExportColumn[] = [
  { name: 'id', sql: 'i.id' },
  { name: 'invoice_number', sql: 'i.invoice_number', kind: 'text' },
  { name: 'customer', sql: 'i.customer', kind: 'text' },
  { name: 'currency', sql: 'i.currency' },
  { name: 'amount_due', sql: 'bank_sync_money(i.amount_due, i.currency)' },
  { name: 'amount_paid', sql: 'bank_sync_money(i.amount_paid, i.currency)' },
  {
    name: 'amount_outstanding',
    sql: `bank_sync_money(CASE WHEN i.status = 'cancelled' THEN 0 ELSE i.amount_due - i.amount_paid - i.amount_written_off END, i.currency)`,
  },
  { name: 'amount_written_off', sql: 'bank_sync_money(i.amount_written_off, i.currency)' },
  { name: 'status', sql: 'i.status' },
  { name: 'due_date', sql: `to_char(i.due_date, 'YYYY-MM-DD')` },
  { name: 'created_at', sql: 'bank_sync_iso(i.created_at)' },
  { name: 'updated_at', sql: 'bank_sync_iso(i.updated_at)' },
  { name: 'cancelled_at', sql: 'bank_sync_iso(i.cancelled_at)' },
  { name: 'cancelled_by', sql: 'i.cancelled_by', kind: 'text' },
];

export function invoicesExportSql(q: InvoiceExportQuery): string {
  const where: string[] = [];
  if (q.status) where.push(`i.status = ${literal(q.status)}`);
  if (q.number !== undefined) {
    where.push(`i.normalized_number = ${literal(normalizeInvoiceNumber(q.number))}`);
  }
  const rest = `FROM invoices i ${whereClause(where)} ORDER BY i.created_at, i.id`;
  return copyStatement(INVOICE_COLUMNS, rest, q.format);
}
