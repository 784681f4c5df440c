import { parseAmount } from '../../common/money';
import { storableText } from '../../common/storable-text';

export type EntryDirection = 'credit' | 'debit';

/** One booked entry of a statement, as every format is parsed to. */
export interface ParsedEntry {
  /** The statement's own account (IBAN or number), where the file names it per entry (CSV). */
  account: string | null;
  /** The booking date, YYYY-MM-DD. */
  bookingDate: string;
  /** Canonical decimal string, never negative; the direction says which way it moved. */
  amount: string;
  currency: string;
  /** The direction the entry moves the balance (a reversal of a credit is a debit). */
  direction: EntryDirection;
  reversal: boolean;
  /** The bank's transaction id: camt AcctSvcrRef, MT940 bank reference, OFX FITID, a column. */
  bankRef: string | null;
  reference: string | null;
  description: string | null;
  counterparty: string | null;
  counterpartyAccount: string | null;
  /** Where in the file the entry is (an error about it, and the entry's record, name it). */
  at: string;
}

/** What a statement states about itself; read at its end (MT940 and OFX close with it). */
export interface StatementTotals {
  account: string | null;
  currency: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  /** Signed canonical decimal strings ("-12.50"), or null where the file states none. */
  openingBalance: string | null;
  closingBalance: string | null;
}

export type StatementEvent =
  | { kind: 'begin' }
  | { kind: 'entry'; entry: ParsedEntry }
  | { kind: 'end'; totals: StatementTotals };

export type StatementFormat = 'camt053' | 'camt054' | 'mt940' | 'ofx' | 'csv';
export const STATEMENT_FORMATS: readonly StatementFormat[] = [
  'camt053',
  'camt054',
  'mt940',
  'ofx',
  'csv',
];

/** A file that cannot be read: where (a line, an element) and why. Answered 400. */
export class StatementFileError extends Error {
  constructor(
    readonly at: string,
    message: string,
  ) {
    super(message);
  }
}

/** Longest text one field of a file may hold: a field longer than this is not a statement's. */
export const MAX_FIELD_CHARS = 8192;

/** A money amount of the file in the currency's canonical form (zero allowed), or an error. */
export function fileAmount(text: string, currency: string, at: string, what = 'amount'): string {
  const parsed = parseAmount(text, currency, { allowZero: true });
  if (!parsed.ok) {
    throw new StatementFileError(at, `${what} ${JSON.stringify(text)} ${parsed.message}`);
  }
  return parsed.value;
}

/** A signed balance: "C"/credit positive, "D"/debit negative. */
export function signedBalance(amount: string, debit: boolean): string {
  return debit && !/^0+(\.0+)?$/.test(amount) ? `-${amount}` : amount;
}

/** A calendar date that exists (2026-02-30 does not), as YYYY-MM-DD. */
export function isoDate(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    return null;
  }
  return d.toISOString().slice(0, 10);
}

/** Text of a file made storable: trimmed, runs of white space one space; null when empty. */
export function cleanText(value: string | null | undefined, at: string): string | null {
  if (value === null || value === undefined) return null;
  const text = value.replace(/\s+/g, ' ').trim();
  if (text === '') return null;
  if (!storableText(text)) {
    throw new StatementFileError(at, 'text holds U+0000 or an unpaired surrogate');
  }
  return text.slice(0, 2000);
}
