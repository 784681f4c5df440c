import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { parseAccount } from '../../common/account-number';
import {
  cleanText,
  fileAmount,
  isoDate,
  MAX_FIELD_CHARS,
  type ParsedEntry,
  StatementFileError,
  type StatementEvent,
} from './statement-events';
import type { FileEncoding } from './text-stream';

export type Column = string | number;

/** A bank's saved CSV mapping (PUT /banks/{id}/csv-mapping), validated by its DTO. */
export interface CsvMapping {
  delimiter: string;
  decimal_separator: '.' | ',';
  encoding: FileEncoding;
  date_format: string;
  header: boolean;
  skip_rows: number;
  /** Rows after the entries to pass over (a closing "Balance at ..." line). */
  skip_footer_rows?: number;
  /** The currency of every row when no column names it. */
  currency?: string | null;
  columns: {
    date: Column;
    amount?: Column;
    credit?: Column;
    debit?: Column;
    direction?: { column: Column; debit_values: string[] };
    currency?: Column;
    account?: Column;
    reference?: Column;
    description?: Column;
    counterparty?: Column;
    counterparty_account?: Column;
    external_id?: Column;
  };
}

const DATE_FIELDS: Record<string, ['Y' | 'YY' | 'M' | 'D', string]> = {
  YYYY: ['Y', '(\\d{4})'],
  YY: ['YY', '(\\d{2})'],
  MM: ['M', '(\\d{1,2})'],
  M: ['M', '(\\d{1,2})'],
  DD: ['D', '(\\d{1,2})'],
  D: ['D', '(\\d{1,2})'],
};

/** A date format's fields in order, and the pattern a cell must match (DD.MM.YYYY, YYYYMMDD). */
export function datePattern(format: string): { re: RegExp; order: Array<'Y' | 'YY' | 'M' | 'D'> } {
  const order: Array<'Y' | 'YY' | 'M' | 'D'> = [];
  let re = '^';
  for (const token of format.match(/YYYY|YY|MM|DD|M|D|[^YMD]+/g) ?? []) {
    const field = DATE_FIELDS[token];
    if (field) {
      order.push(field[0]);
      re += field[1];
    } else {
      re += token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return { re: new RegExp(`${re}$`), order };
}

/**
 * An amount as exports write it: "+1,23", "-50,00", "1.525,00", "1,525.00", "12,50-", with or
 * without spaces; returns the sign apart. The decimal separator is the mapping's; the other one
 * is a thousands separator and is dropped.
 */
export function csvAmount(
  text: string,
  decimal: '.' | ',',
  currency: string,
  at: string,
): { amount: string; negative: boolean } | null {
  let t = text.replace(/[\s\u00a0']/g, '');
  if (t === '') return null;
  let negative = false;
  if (/^\(.*\)$/.test(t) || t.endsWith('-') || t.startsWith('-')) {
    negative = true;
    t = t.replace(/^\((.*)\)$/, '$1').replace(/^-|-$/g, '');
  } else if (t.startsWith('+')) {
    t = t.slice(1);
  }
  const thousands = decimal === ',' ? '.' : ',';
  t = t.split(thousands).join('');
  if (decimal === ',') t = t.replace(',', '.');
  if (t.startsWith('.')) t = `0${t}`;
  if (!/^\d+(\.\d+)?$/.test(t))
    throw new StatementFileError(at, `${JSON.stringify(text)} is not an amount`);
  return { amount: fileAmount(t, currency, at), negative };
}

/**
 * CSV through the bank's mapping, parsed as a stream by csv-parse: one row at a time. Every
 * row is an entry; a row that cannot be read is a 400 naming its line (blank rows are skipped).
 */
export async function* parseCsv(
  text: AsyncIterable<string>,
  mapping: CsvMapping,
): AsyncGenerator<StatementEvent> {
  const parser = parse({
    delimiter: mapping.delimiter,
    from_line: mapping.skip_rows + 1,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    bom: true,
    info: true,
    max_record_size: MAX_FIELD_CHARS * 4,
  });
  const source = Readable.from(text);
  // pipe() does not pass a source's error on: a decoding error must end the parse.
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  const date = datePattern(mapping.date_format);
  let index: Map<string, number> | null = null;
  const position = (c: Column | undefined, what: string): number | null => {
    if (c === undefined) return null;
    if (typeof c === 'number') return c - 1;
    if (!index) {
      throw new StatementFileError(
        'mapping',
        `column ${what} is named "${c}" but the file has no header`,
      );
    }
    const at = index.get(c.trim().toLowerCase());
    if (at === undefined)
      throw new StatementFileError(
        `line ${mapping.skip_rows + 1}`,
        `no column "${c}" (${what}) in the header`,
      );
    return at;
  };
  let cols: Record<string, number | null> | null = null;
  const footer = mapping.skip_footer_rows ?? 0;
  const held: Array<{ record: string[]; line: number }> = [];
  let begun = false;

  const entryOf = (record: string[], line: number): ParsedEntry | null => {
    const c = cols as Record<string, number | null>;
    const cell = (k: string): string | null => {
      const p = c[k];
      return p === null || p === undefined ? null : (record[p] ?? '').trim() || null;
    };
    if (record.every((v) => v.trim() === '')) return null;
    const at = `line ${line}`;
    const currency = (cell('currency') ?? mapping.currency ?? '').toUpperCase();
    if (!currency)
      throw new StatementFileError(at, 'no currency: map a currency column or set currency');
    const dateText = cell('date');
    const m = dateText ? date.re.exec(dateText) : null;
    let day: string | null = null;
    if (m) {
      const parts: Record<string, number> = {};
      date.order.forEach((k, i) => (parts[k] = Number(m[i + 1])));
      const year = parts.Y ?? (parts.YY !== undefined ? 2000 + parts.YY : NaN);
      day = isoDate(year, parts.M, parts.D);
    }
    if (!day) {
      throw new StatementFileError(
        at,
        `date ${JSON.stringify(dateText ?? '')} does not match ${mapping.date_format}`,
      );
    }
    let amount: { amount: string; negative: boolean } | null;
    if (c.amount !== null) {
      amount = csvAmount(
        cell('amount') ?? '',
        mapping.decimal_separator,
        currency,
        `${at}, amount`,
      );
    } else {
      const credit = csvAmount(
        cell('credit') ?? '',
        mapping.decimal_separator,
        currency,
        `${at}, credit`,
      );
      const debit = csvAmount(
        cell('debit') ?? '',
        mapping.decimal_separator,
        currency,
        `${at}, debit`,
      );
      if (
        credit &&
        debit &&
        !/^0+(\.0+)?$/.test(credit.amount) &&
        !/^0+(\.0+)?$/.test(debit.amount)
      ) {
        throw new StatementFileError(at, 'both the credit and the debit column hold an amount');
      }
      amount =
        debit && !/^0+(\.0+)?$/.test(debit.amount)
          ? { amount: debit.amount, negative: true }
          : credit
            ? { amount: credit.amount, negative: credit.negative }
            : debit;
    }
    if (!amount) throw new StatementFileError(at, 'no amount');
    let debitEntry = amount.negative;
    if (mapping.columns.direction) {
      const value = (cell('direction') ?? '').toLowerCase();
      debitEntry = mapping.columns.direction.debit_values.some((d) => d.toLowerCase() === value);
    }
    const account = cell('account');
    const cpAccount = cell('counterparty_account');
    const acct = account ? parseAccount(account) : null;
    const cp = cpAccount ? parseAccount(cpAccount) : null;
    return {
      account: acct ? (acct.ok ? acct.value : cleanText(account, at)) : null,
      bookingDate: day,
      amount: amount.amount,
      currency,
      direction: debitEntry ? 'debit' : 'credit',
      reversal: false,
      bankRef: cleanText(cell('external_id'), at),
      reference: cleanText(cell('reference') ?? cell('description'), at),
      description: cleanText(cell('description'), at),
      counterparty: cleanText(cell('counterparty'), at),
      counterpartyAccount: cp ? (cp.ok ? cp.value : cleanText(cpAccount, at)) : null,
      at,
    };
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (!cols) {
        if (mapping.header) {
          index = new Map(record.map((name, i) => [name.trim().toLowerCase(), i]));
        }
        const k = mapping.columns;
        cols = {
          date: position(k.date, 'date'),
          amount: position(k.amount, 'amount'),
          credit: position(k.credit, 'credit'),
          debit: position(k.debit, 'debit'),
          direction: position(k.direction?.column, 'direction'),
          currency: position(k.currency, 'currency'),
          account: position(k.account, 'account'),
          reference: position(k.reference, 'reference'),
          description: position(k.description, 'description'),
          counterparty: position(k.counterparty, 'counterparty'),
          counterparty_account: position(k.counterparty_account, 'counterparty_account'),
          external_id: position(k.external_id, 'external_id'),
        };
        if (mapping.header) continue;
      }
      held.push({ record, line: info.lines });
      if (held.length <= footer) continue;
      const row = held.shift() as { record: string[]; line: number };
      const entry = entryOf(row.record, row.line);
      if (!entry) continue;
      if (!begun) {
        begun = true;
        yield { kind: 'begin' };
      }
      yield { kind: 'entry', entry };
    }
  } catch (err) {
    const e = err as Error & { lines?: number; code?: unknown };
    // Only csv-parse's own errors are the file's; the rest (a decoding error, the size limit's
    // 413) pass as they are.
    if (typeof e.code !== 'string' || !e.code.startsWith('CSV_')) throw err;
    throw new StatementFileError(`line ${e.lines ?? '?'}`, `not readable as CSV: ${e.message}`);
  }
  if (!begun) yield { kind: 'begin' };
  yield {
    kind: 'end',
    totals: {
      account: null,
      currency: null,
      periodStart: null,
      periodEnd: null,
      openingBalance: null,
      closingBalance: null,
    },
  };
}
