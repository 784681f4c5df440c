import type { CsvMapping } from '../../src/statements/parsers/csv';
import type { ParsedEntry, StatementTotals } from '../../src/statements/parsers/statement-events';
import { readStatementFile } from '../../src/statements/parsers/statement-file';

/** A statement file read whole, for tests: every statement with its entries. */
async function* chunks(bytes: Buffer, size = 97): AsyncGenerator<Buffer> {
  // Small, odd-sized chunks: every parser must carry tokens, lines and characters across them.
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

interface Read {
  format: string;
  statements: Array<{ totals: StatementTotals; entries: ParsedEntry[] }>;
}

export async function read(
  bytes: Buffer | string,
  format: Parameters<typeof readStatementFile>[1] = null,
  mapping: CsvMapping | null = null,
): Promise<Read> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const file = await readStatementFile(chunks(buf), format, mapping);
  const statements: Read['statements'] = [];
  let current: ParsedEntry[] = [];
  for await (const e of file.events) {
    if (e.kind === 'begin') current = [];
    else if (e.kind === 'entry') current.push(e.entry);
    else statements.push({ totals: e.totals, entries: current });
  }
  return { format: file.format, statements };
}

/**
 * A Dutch bank's CSV export (`;`, decimal comma, Latin-1, "Af Bij" for the direction) as a saved
 * mapping; `columns` add to or replace its columns.
 */
export function dutchCsvMapping(columns: Partial<CsvMapping['columns']> = {}): CsvMapping {
  return {
    delimiter: ';',
    decimal_separator: ',',
    encoding: 'iso-8859-1',
    date_format: 'YYYYMMDD',
    header: true,
    skip_rows: 0,
    currency: 'EUR',
    columns: {
      date: 'Datum',
      amount: 'Bedrag',
      direction: { column: 'Af Bij', debit_values: ['Af'] },
      counterparty: 'Naam',
      ...columns,
    },
  };
}

/** An MT940 statement of account DE89370400440532013000 on one day (YYMMDD), its :61:/:86: lines given. */
export function mt940Statement(
  opening: string,
  closing: string,
  lines: string[],
  day: string,
  reference = 'STMT',
): string {
  return [
    `:20:${reference}`,
    ':25:DE89370400440532013000',
    ':28C:1/1',
    `:60F:C${day}EUR${opening}`,
    ...lines,
    `:62F:C${day}EUR${closing}`,
    '-',
  ].join('\r\n');
}
