import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import type { QueryRunner } from 'typeorm';

/** One entry of a statement file, as the upload hands it to the intake. */
export interface StagedEntry {
  statementId: string;
  /** 1-based position in its statement. */
  seq: number;
  account: string | null;
  bookingDate: string;
  amount: string;
  currency: string;
  direction: 'credit' | 'debit';
  reversal: boolean;
  bankRef: string | null;
  reference: string | null;
  description: string | null;
  counterparty: string | null;
  counterpartyAccount: string | null;
  location: string;
  /** The bank's transaction id, else the entry's fingerprint. */
  externalId: string;
}

// The upload's scratch table: written by one COPY while the file is read, dropped with the
// transaction (rolled back with it too). Not WAL-logged, no index while it fills. `ord` is the
// entry's place in the file (statements in order, entries in order): the intake's chunks and
// its "n-th identical entry" rule go by it. `tx_id`: the stored transaction the entry is.
export const STAGE_TABLE_SQL = `
CREATE TEMP TABLE statement_stage (
  ord integer NOT NULL, statement_id uuid NOT NULL, seq integer NOT NULL, account text,
  booking_date date NOT NULL, amount numeric(20,4) NOT NULL, currency character(3) NOT NULL,
  direction text NOT NULL, reversal boolean NOT NULL, bank_ref text, reference text,
  description text, counterparty text, counterparty_account text, location text NOT NULL,
  external_id text NOT NULL, tx_id uuid
) ON COMMIT DROP`;

const COPY_SQL = `COPY statement_stage (ord, statement_id, seq, account, booking_date, amount,
  currency, direction, reversal, bank_ref, reference, description, counterparty,
  counterparty_account, location, external_id) FROM STDIN`;

/** Bytes gathered before one write to the COPY stream. */
const WRITE_CHARS = 64 * 1024;
const SPECIAL = /[\\\t\n\r]/;

/** A value in COPY's text format: \N for null; backslash, tab and line breaks escaped. */
function text(v: string | null): string {
  if (v === null) return '\\N';
  if (!SPECIAL.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/**
 * Stages a file's entries with COPY FROM STDIN into `statement_stage`, in the upload's own
 * transaction, as the file is read: one statement for the whole file instead of a JSON insert
 * per 2 000 entries (bench/RESULTS.md). While it is open the connection runs nothing else.
 */
export class StatementStage {
  private buffer = '';
  private ord = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(private readonly copy: Writable) {
    copy.on('error', (err: Error) => {
      this.failure = err;
    });
  }

  static async open(runner: QueryRunner): Promise<StatementStage> {
    await runner.query(STAGE_TABLE_SQL);
    const client = (await runner.connect()) as PoolClient;
    return new StatementStage(client.query(copyFrom(COPY_SQL)));
  }

  /** Entries staged so far. */
  get count(): number {
    return this.ord;
  }

  /** Adds one entry; true when the caller should `await drain()` before the next. */
  add(e: StagedEntry): boolean {
    this.buffer += `${++this.ord}\t${e.statementId}\t${e.seq}\t${text(e.account)}\t${e.bookingDate}\t${e.amount}\t${e.currency}\t${e.direction}\t${e.reversal ? 't' : 'f'}\t${text(e.bankRef)}\t${text(e.reference)}\t${text(e.description)}\t${text(e.counterparty)}\t${text(e.counterpartyAccount)}\t${text(e.location)}\t${text(e.externalId)}\n`;
    return this.buffer.length >= WRITE_CHARS;
  }

  /** Sends what is gathered; waits while the connection's socket is full. */
  async drain(): Promise<void> {
    this.check();
    if (this.buffer === '') return;
    const chunk = this.buffer;
    this.buffer = '';
    if (this.copy.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.copy.off('drain', done);
        this.copy.off('error', done);
        resolve();
      };
      this.copy.on('drain', done);
      this.copy.on('error', done);
    });
    this.check();
  }

  /** The COPY the server refused (a value it cannot store): its error. */
  private check(): void {
    if (this.failure) throw this.failure;
  }

  /** Ends the COPY; resolves once its rows are visible to the transaction. */
  async finish(): Promise<void> {
    await this.drain();
    this.closed = true;
    await new Promise<void>((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.copy.once('finish', resolve);
      this.copy.once('error', reject);
      this.copy.end();
    });
  }

  /**
   * Cancels the COPY (CopyFail) when the file turned out unreadable, and waits until the
   * connection can take the ROLLBACK. A COPY the server refused has already ended.
   */
  async abort(reason: Error): Promise<void> {
    if (this.closed || this.failure || this.copy.destroyed) return;
    this.closed = true;
    this.buffer = '';
    await new Promise<void>((resolve) => {
      this.copy.once('close', resolve);
      this.copy.destroy(reason);
    });
  }
}
