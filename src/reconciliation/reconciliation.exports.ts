/**
 * The exports of reconciliation (`GET /reconcile/matches/export`, `/reconcile/exceptions/export`):
 * the list answers' fields, one row per item, as COPY statements (src/common/export.ts).
 */
import { ApiPropertyOptional, IntersectionType, PickType } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { copyStatement, ExportFormatQuery, literal, type ExportColumn } from '../common/export';
import { queryInstant } from '../common/timestamps';
import { ExceptionQuery } from './reconciliation.dto';

export class MatchExportQuery extends ExportFormatQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Allocations made by this run' })
  @IsOptional()
  @IsUUID()
  run_id?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  invoice_id?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  transaction_id?: string;

  @ApiPropertyOptional({ description: '`created_at >= from` (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: '`created_at < to` (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class ExceptionExportQuery extends IntersectionType(
  ExportFormatQuery,
  PickType(ExceptionQuery, ['reason', 'bank'] as const),
) {}

/** The fields of `MatchDto`, in its order. */
export const MATCH_COLUMNS: ExportColumn[] = [
  { name: 'id', sql: 'm.id' },
  { name: 'transaction_id', sql: 'm.transaction_id' },
  { name: 'invoice_id', sql: 'm.invoice_id' },
  { name: 'invoice_number', sql: 'i.invoice_number', kind: 'text' },
  { name: 'amount', sql: 'bank_sync_money(m.amount, m.currency)' },
  { name: 'currency', sql: 'm.currency' },
  { name: 'rule', sql: 'm.rule' },
  { name: 'run_id', sql: 'm.run_id' },
  { name: 'created_by', sql: 'm.created_by', kind: 'text' },
  { name: 'note', sql: 'm.note', kind: 'text' },
  { name: 'created_at', sql: 'bank_sync_iso(m.created_at)' },
  { name: 'live', sql: '(m.reversed_at IS NULL)', kind: 'bool' },
  { name: 'reversed_at', sql: 'bank_sync_iso(m.reversed_at)' },
  { name: 'reversed_by', sql: 'm.reversed_by', kind: 'text' },
  { name: 'reversal_reason', sql: 'm.reversal_reason', kind: 'text' },
];

export const MATCHES_FROM = 'FROM transaction_matches m JOIN invoices i ON i.id = m.invoice_id';

export function matchesExportSql(q: MatchExportQuery): string {
  const where: string[] = [];
  if (q.run_id) where.push(`m.run_id = ${literal(q.run_id)}::uuid`);
  if (q.invoice_id) where.push(`m.invoice_id = ${literal(q.invoice_id)}::uuid`);
  if (q.transaction_id) where.push(`m.transaction_id = ${literal(q.transaction_id)}::uuid`);
  if (q.from) {
    where.push(
      `m.created_at >= ${literal(queryInstant('from', q.from).toISOString())}::timestamptz`,
    );
  }
  if (q.to) {
    where.push(`m.created_at < ${literal(queryInstant('to', q.to).toISOString())}::timestamptz`);
  }
  const rest = `${MATCHES_FROM} ${whereClause(where)} ORDER BY m.created_at, m.id`;
  return copyStatement(MATCH_COLUMNS, rest, q.format);
}

/** The fields of `ExceptionDto`, in its order. */
export const EXCEPTION_COLUMNS: ExportColumn[] = [
  { name: 'transaction_id', sql: 'e.transaction_id' },
  { name: 'external_id', sql: 't.external_id', kind: 'text' },
  { name: 'bank_id', sql: 't.bank_id' },
  { name: 'reason', sql: 'e.reason' },
  { name: 'amount', sql: 'bank_sync_money(t.amount, t.currency)' },
  { name: 'unallocated_amount', sql: 'bank_sync_money(t.unallocated_amount, t.currency)' },
  { name: 'currency', sql: 't.currency' },
  { name: 'reference', sql: 't.reference', kind: 'text' },
  { name: 'description', sql: 't.description', kind: 'text' },
  { name: 'occurred_at', sql: 'bank_sync_iso(t.occurred_at)' },
];

export function exceptionsExportSql(q: ExceptionExportQuery): string {
  const where: string[] = [];
  if (q.reason) where.push(`e.reason = ${literal(q.reason)}`);
  if (q.bank) where.push(`t.bank_id = ${literal(q.bank)}`);
  const rest =
    `FROM transaction_exceptions e JOIN transactions t ON t.id = e.transaction_id ` +
    `${whereClause(where)} ORDER BY e.created_at, e.transaction_id`;
  return copyStatement(EXCEPTION_COLUMNS, rest, q.format);
}

export function whereClause(conditions: string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}
