import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import type { Pool, QueryConfig } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { GroupCommitter, ItemFailure } from '../common/group-commit';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ProblemException, validationProblem } from '../common/problem';
import { Wakeups } from '../database/wakeups';
import type { TransactionSource } from '../transactions/transaction.entity';
import type { NormalizedTransaction } from './normalized-transaction';
import {
  STATEMENT_CHUNK_SQL,
  STATEMENT_INTAKE_REST_SQL,
  STATEMENT_KNOWN_SQL,
} from './statement-intake.sql';

/** What storing an item came to; the webhooks' idempotency interceptor turns it into the answer. */
export interface IntakeOutcome {
  /** false: the event id was already stored (a replay, or a conflicting reuse of the id). */
  stored: boolean;
  /** For a replay: whether the stored body has the same bytes. */
  sameBody: boolean;
  /** The transaction row was inserted (or, for a pulled Up transaction, settled) by this event. */
  transactionWritten: boolean;
  eventId: string;
  externalTransactionId: string | null;
}

/**
 * One event with its transaction, as written by the batched intake statement. Every source
 * (webhooks, the scheduled pull, statements) hands its rows to the intake as these.
 */
export interface IntakeItem {
  bankId: string;
  eventId: string;
  eventType: string | null;
  body: Buffer;
  headers: Record<string, string>;
  tx: NormalizedTransaction;
  source: TransactionSource;
  /** Up's HELD/SETTLED where known (pulled Up transactions), else null. */
  bankStatus: string | null;
  rawText: string | null;
  /** PENDING: the worker processes it (webhooks). PROCESSED: complete as pulled, match now. */
  status: 'PENDING' | 'PROCESSED';
}

// Stores the raw event and, if the bank's transaction id is new, the normalized transaction:
// one statement, so one implicit transaction, for a whole batch of concurrent deliveries.
// Uniqueness comes from the two unique indexes; ON CONFLICT makes replays and races no-ops.
// The rows travel as one JSON array ($1): V8's JSON.stringify builds it in one native pass, where
// eighteen array parameters cost node-postgres a quoted, escaped array literal per column
// (bench/RESULTS.md). The bodies travel apart, end to end in one bytea ($2, sent as binary by
// node-postgres, so no byte is escaped or re-encoded); each row names its slice.
const INTAKE_SQL = `
WITH input AS (
  SELECT i.*, substring($2::bytea FROM i.body_at + 1 FOR i.body_length) AS body
    FROM json_to_recordset($1::json)
      AS i(bank_id text, event_id text, event_type text, body_at int, body_length int,
           headers jsonb, external_id text, amount numeric, currency text, direction text,
           occurred_at timestamptz, reference text, description text, counterparty text,
           counterparty_account text, foreign_amount numeric, foreign_currency text,
           settled_at timestamptz, hold_amount numeric, hold_currency text,
           raw_text text, bank_status text, source text, status text, ord int)
), ev AS (
  INSERT INTO webhook_events (bank_id, event_id, event_type, body, body_sha256, headers,
                              external_transaction_id)
  SELECT bank_id, event_id, event_type, body, sha256(body), headers, external_id FROM input
   -- One order for every batch: two flushes in flight holding one retried event id each in
   -- the other order would deadlock.
   ORDER BY bank_id, event_id
  ON CONFLICT (bank_id, event_id) DO NOTHING
  RETURNING id, bank_id, event_id
), tx AS (
  -- source_event_id: the event this row is stored from (an event's outcome in the raw-event
  -- list); an update below never changes it.
  INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                            reference, description, counterparty, counterparty_account,
                            foreign_amount, foreign_currency, settled_at, hold_amount,
                            hold_currency, raw_text, bank_status, source, status, processed_at,
                            unallocated_amount, match_status, source_event_id)
  SELECT DISTINCT ON (i.bank_id, i.external_id)
         i.bank_id, i.external_id, i.amount, i.currency, i.direction, i.occurred_at, i.reference,
         i.description, i.counterparty, i.counterparty_account, i.foreign_amount,
         i.foreign_currency, i.settled_at, i.hold_amount, i.hold_currency, i.raw_text,
         i.bank_status, i.source, i.status, CASE WHEN i.status = 'PROCESSED' THEN now() END,
         i.amount, CASE WHEN i.amount = 0 THEN 'not_applicable' ELSE 'unmatched' END, ev.id
    FROM input i JOIN ev ON ev.bank_id = i.bank_id AND ev.event_id = i.event_id
   ORDER BY i.bank_id, i.external_id, i.ord
  -- Only a pulled Up transaction changes a stored row, with what the bank holds now: one that
  -- has settled since it was stored HELD (a card hold often settles for another amount), and
  -- one that an Up webhook stored before its fetch, which failed or has not run (no amount yet).
  -- Neither has allocations (HELD ones are not matchable), so all of it is unallocated.
  ON CONFLICT (bank_id, external_id) DO UPDATE
     SET bank_status = EXCLUDED.bank_status, status = EXCLUDED.status,
         processed_at = EXCLUDED.processed_at, updated_at = now(),
         amount = EXCLUDED.amount, currency = EXCLUDED.currency, direction = EXCLUDED.direction,
         occurred_at = EXCLUDED.occurred_at, reference = EXCLUDED.reference,
         description = EXCLUDED.description, raw_text = EXCLUDED.raw_text,
         foreign_amount = EXCLUDED.foreign_amount, foreign_currency = EXCLUDED.foreign_currency,
         settled_at = EXCLUDED.settled_at, hold_amount = EXCLUDED.hold_amount,
         hold_currency = EXCLUDED.hold_currency, match_status = EXCLUDED.match_status,
         unallocated_amount = EXCLUDED.amount, needs_fetch = false, last_error = NULL
   WHERE transactions.status <> 'VOIDED' AND NOT transactions.void_requested
     AND ((transactions.bank_status = 'HELD' AND EXCLUDED.bank_status = 'SETTLED')
          OR (transactions.amount IS NULL AND transactions.status IN ('PENDING', 'FAILED')
              AND EXCLUDED.source = 'pull'))
  RETURNING id, bank_id, external_id, status, xmax = 0 AS inserted,
            bank_sync_transaction_json(transactions) AS json
), outbox AS (
  -- The aggregate named here, so the outbox's trigger skips these rows (OutboxAggregateWhen).
  INSERT INTO outbox_events (id, type, payload, aggregatetype, aggregateid)
  SELECT gen_random_uuid(), 'transaction.received', json, 'transaction', id::text
    FROM tx WHERE inserted
  UNION ALL
  SELECT gen_random_uuid(), 'transaction.processed', json, 'transaction', id::text
    FROM tx WHERE status = 'PROCESSED'
)
SELECT i.ord, tx.external_id IS NOT NULL AS tx_written
  FROM input i
  JOIN ev ON ev.bank_id = i.bank_id AND ev.event_id = i.event_id
  LEFT JOIN tx ON tx.bank_id = i.bank_id AND tx.external_id = i.external_id`;

const MAX_BATCH = 500;
// A flush takes about as long for 4 deliveries as for 16 (round trip, commit, the event loop
// getting round to the answer), so batches should be big: one flush in flight, and a second
// only once a batch worth of deliveries waits for it, which hides part of the round trip
// (bench/RESULTS.md: 1 flush ~3 400/s, any 2-4 ~3 500/s, 2 with 10 waiting ~3 800/s).
const MAX_CONCURRENT_FLUSHES = 2;
const MIN_EXTRA_BATCH = 10;

const eventKey = (i: { bankId: string; eventId: string }): string =>
  `${i.bankId}\u0000${i.eventId}`;

/**
 * The intake statement's JSON input (keys are its column names); each row says where its body
 * lies in the concatenated bodies. Every text was made storable by the normalizers (no NUL, no
 * unpaired surrogate, which PostgreSQL's JSON input refuses, failing the whole batch).
 */
function intakeRows(items: IntakeItem[]): Array<Record<string, unknown>> {
  let at = 0;
  return items.map((i, ord) => {
    const row = {
      bank_id: i.bankId,
      event_id: i.eventId,
      event_type: i.eventType,
      body_at: at,
      body_length: i.body.length,
      headers: i.headers,
      external_id: i.tx.externalId,
      amount: i.tx.amount,
      currency: i.tx.currency,
      direction: i.tx.direction,
      occurred_at: i.tx.occurredAt.toISOString(),
      reference: i.tx.reference,
      description: i.tx.description,
      counterparty: i.tx.counterparty,
      counterparty_account: i.tx.counterpartyAccount ?? null,
      foreign_amount: i.tx.foreignAmount ?? null,
      foreign_currency: i.tx.foreignCurrency ?? null,
      settled_at: i.tx.settledAt ? i.tx.settledAt.toISOString() : null,
      hold_amount: i.tx.holdAmount ?? null,
      hold_currency: i.tx.holdCurrency ?? null,
      raw_text: i.rawText,
      bank_status: i.bankStatus,
      source: i.source,
      status: i.status,
      ord,
    };
    at += i.body.length;
    return row;
  });
}

/** A value PostgreSQL refuses: a data exception, or one too big for an index (54000). */
function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54000');
}

/** A delivery holding a value the database cannot store: the bank must not retry it as is. */
function unstorable(err: unknown): ProblemException {
  return validationProblem(
    [{ field: '(body)', message: `a value cannot be stored: ${(err as Error).message}` }],
    'The delivery holds a value the database cannot store',
  );
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

@Injectable()
export class IntakeService {
  private readonly committer = new GroupCommitter<IntakeItem, IntakeOutcome>(
    (items) => this.writeBatch(items),
    MAX_BATCH,
    MAX_CONCURRENT_FLUSHES,
    MIN_EXTRA_BATCH,
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly wakeups: Wakeups,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Stores one item; resolves only once it is committed. Not `async`: on the intake's hot path
   * every promise layer is work per delivery.
   */
  submit(item: IntakeItem): Promise<IntakeOutcome> {
    return this.committer.submit(item).then(this.notifyStored);
  }

  /**
   * A statement file's staged entries (`StatementStage`, `count` of them), set-based, inside
   * the upload's transaction (`manager`): a file of 200 000 entries is a few statements, not
   * 200 000 trips through the group commit that webhooks share (which would hold their
   * deliveries up). Which entries are known is settled for the whole file first; then the
   * entries are written `chunk` at a time, each chunk one statement, with `between()` awaited
   * before each (where the upload gives webhooks their turn). Call `wakeWorker` after the commit.
   */
  async storeStatementEntries(
    manager: EntityManager,
    bankId: string,
    fileId: string,
    count: number,
    chunk: number,
    between: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    if (count === 0) return;
    // The chunks read ord ranges; the planner has no statistics of a table made in this
    // transaction, and takes it for a few pages otherwise.
    await manager.query(`CREATE INDEX ON statement_stage (ord)`);
    await manager.query(`ANALYZE statement_stage`);
    await manager.query(STATEMENT_KNOWN_SQL, [bankId]);
    let open = 0;
    for (let from = 1; from <= count; from += chunk) {
      await between();
      const [row] = await manager.query<Array<{ open: number }>>(STATEMENT_CHUNK_SQL, [
        bankId,
        from,
        from + chunk,
      ]);
      open += row.open;
    }
    if (open > 0) await manager.query(STATEMENT_INTAKE_REST_SQL, [fileId]);
  }

  /** Wakes the processing worker, after a commit that stored transactions. */
  wakeWorker(): void {
    this.wakeups.transactions.notify();
  }

  /** Wakes the worker for a newly stored transaction (also for rows a source wrote itself). */
  readonly notifyStored = (outcome: IntakeOutcome): IntakeOutcome => {
    if (outcome.stored) this.wakeups.transactions.notify();
    return outcome;
  };

  /**
   * One value PostgreSQL refuses (a data exception, SQLSTATE class 22) fails the statement, and
   * with it every delivery in the batch, from every bank. Validation is meant to refuse such
   * values first; should one slip through, each delivery is written again alone, so only the
   * bad one is refused (400, retrying cannot help) and the others are stored.
   */
  private writeBatch(items: IntakeItem[]): Promise<Array<IntakeOutcome | ItemFailure>> {
    return this.writeTogether(items).catch((err: unknown) => {
      if (!isDataException(err)) throw err;
      if (items.length === 1) throw unstorable(err);
      return Promise.all(
        items.map((item) =>
          this.writeTogether([item]).then(
            ([outcome]) => outcome,
            (e: unknown) => new ItemFailure(isDataException(e) ? unstorable(e) : e),
          ),
        ),
      );
    });
  }

  private async writeTogether(items: IntakeItem[]): Promise<IntakeOutcome[]> {
    // The same event twice in one batch: only the first goes to the database.
    const ordByKey = new Map<string, number>();
    const unique: IntakeItem[] = [];
    for (const item of items) {
      const key = eventKey(item);
      if (!ordByKey.has(key)) {
        ordByKey.set(key, unique.length);
        unique.push(item);
      }
    }
    // A named prepared statement straight on the driver's pool: PostgreSQL parses and plans
    // the intake statement once per connection, and TypeORM's per-query work is skipped.
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    const query: QueryConfig & { query_timeout: number } = {
      name: 'bank-sync-intake-v8',
      text: INTAKE_SQL,
      // A database that hangs (rather than refuses) must not hold the bank's request open: past
      // this, the batch fails with "Query read timeout" (answered 503, see problem.filter), and
      // the pool discards the connection. The commit may still land; the bank's retry is then
      // answered as a replay.
      query_timeout: this.config.intakeTimeoutMs,
      values: [JSON.stringify(intakeRows(unique)), Buffer.concat(unique.map((i) => i.body))],
    };
    const { rows } = await pool.query<{ ord: number; tx_written: boolean }>(query);
    const inserted = new Set(rows.map((r) => Number(r.ord)));
    const txWritten = new Set(rows.filter((r) => r.tx_written).map((r) => Number(r.ord)));
    const storedSha = await this.storedHashes(unique.filter((_, ord) => !inserted.has(ord)));
    return items.map((item) => {
      const key = eventKey(item);
      const ord = ordByKey.get(key) as number;
      const insertedNow = inserted.has(ord);
      const stored = insertedNow && unique[ord] === item;
      let sameBody: boolean;
      if (insertedNow) {
        // Stored by this batch, by this item or by an identical event id before it.
        sameBody = stored || unique[ord].body.equals(item.body);
      } else {
        const reference = storedSha.get(key);
        if (!reference) {
          // Neither inserted nor found: never answer 409 for an event that may not be stored.
          throw new ProblemException(503, 'intake-retry', 'The event could not be stored; retry');
        }
        sameBody = reference.equals(sha256(item.body));
      }
      return {
        stored,
        sameBody,
        transactionWritten: stored && txWritten.has(ord),
        eventId: item.eventId,
        externalTransactionId: item.tx.externalId,
      };
    });
  }

  /** Body hashes of events already stored (the replay path; rare, so not on the fast path). */
  private async storedHashes(items: IntakeItem[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    if (items.length === 0) return found;
    const rows = await this.dataSource.query<
      Array<{ bank_id: string; event_id: string; body_sha256: Buffer }>
    >(
      `SELECT e.bank_id, e.event_id, e.body_sha256
         FROM webhook_events e
         JOIN unnest($1::text[], $2::text[]) AS k(bank_id, event_id)
           ON e.bank_id = k.bank_id AND e.event_id = k.event_id`,
      [items.map((i) => i.bankId), items.map((i) => i.eventId)],
    );
    for (const r of rows)
      found.set(eventKey({ bankId: r.bank_id, eventId: r.event_id }), r.body_sha256);
    return found;
  }
}
