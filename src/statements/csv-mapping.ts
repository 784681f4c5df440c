import { isCurrency } from '../common/money';
import { validationProblem, type ProblemField } from '../common/problem';
import type { CsvMapping } from './parsers/csv';
import type { CsvMappingDto } from './statements.dto';

const COLUMN_KEYS = [
  'date',
  'amount',
  'credit',
  'debit',
  'currency',
  'account',
  'reference',
  'description',
  'counterparty',
  'counterparty_account',
  'external_id',
] as const;

function columnProblem(value: unknown, header: boolean): string | null {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 1 && value <= 1000
      ? null
      : 'a position is 1 to 1000';
  }
  if (typeof value === 'string') {
    if (value.trim() === '' || value.length > 200) return 'a header text is 1 to 200 characters';
    return header ? null : 'header is false: name columns by their 1-based position';
  }
  return 'must be a header text or a 1-based position';
}

/** The columns the DTO cannot type (text or position), and the rules between the fields. */
export function validateMapping(body: CsvMappingDto): CsvMapping {
  const errors: ProblemField[] = [];
  const columns = body.columns as unknown as Record<string, unknown>;
  for (const key of COLUMN_KEYS) {
    if (columns[key] === undefined || columns[key] === null) continue;
    const problem = columnProblem(columns[key], body.header);
    if (problem) errors.push({ field: `columns.${key}`, message: problem });
  }
  if (columns.date === undefined) errors.push({ field: 'columns.date', message: 'is required' });
  const hasAmount = columns.amount !== undefined;
  const hasPair = columns.credit !== undefined || columns.debit !== undefined;
  if (hasAmount === hasPair) {
    errors.push({ field: 'columns.amount', message: 'map either amount or credit + debit' });
  }
  if (body.columns.direction) {
    const problem = columnProblem(body.columns.direction.column, body.header);
    if (problem) errors.push({ field: 'columns.direction.column', message: problem });
  }
  if (columns.currency === undefined && !body.currency) {
    errors.push({ field: 'currency', message: 'set currency, or map a currency column' });
  }
  if (body.currency && !isCurrency(body.currency)) {
    errors.push({ field: 'currency', message: 'unknown currency' });
  }
  if (body.delimiter === body.decimal_separator) {
    errors.push({ field: 'delimiter', message: 'cannot be the decimal separator' });
  }
  if (errors.length) throw validationProblem(errors);
  const kept: Record<string, unknown> = {};
  for (const key of COLUMN_KEYS) if (columns[key] !== undefined) kept[key] = columns[key];
  if (body.columns.direction) {
    kept.direction = {
      column: body.columns.direction.column,
      debit_values: body.columns.direction.debit_values,
    };
  }
  return {
    delimiter: body.delimiter,
    decimal_separator: body.decimal_separator,
    encoding: body.encoding,
    date_format: body.date_format,
    header: body.header,
    skip_rows: body.skip_rows,
    skip_footer_rows: body.skip_footer_rows ?? 0,
    currency: body.currency ?? null,
    columns: kept as CsvMapping['columns'],
  };
}
