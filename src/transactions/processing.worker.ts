import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BanksService } from '../banks/banks.service';
import { BankApiError, fetchUpTransaction } from '../banks/up-client';
import { BackgroundLoop, pollMs, settleAll, yieldTo } from '../common/background-loop';
import { compareMoney, isZeroAmount } from '../common/money';
import { storableMessage } from '../common/storable-text';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { each, MetricsService } from '../metrics/metrics.service';
import { TRANSACTION_MATCHER, type TransactionMatcher } from './transaction-matcher';
import { Wakeups } from '../database/wakeups';

interface ClaimedRow {
  id: string;
  bank_id: string;
  external_id: string;
  direction: string;
  attempts: number;
  needs_fetch: boolean;
  void_requested: boolean;
  details_url: string | null;
  bank_status: string | null;
  /** Arrived whole and already marked PROCESSED by the claim; else leased for processOne. */
  completed: boolean;
  /** Seconds from the transaction's intake to this claim (first attempt only, else null). */
  waited_s: number | null;
}

const CLAIM_BATCH = 200;
const IDLE_POLL_MS = 1000;
const FETCH_CONCURRENCY = 8;
/** Under a stream of deliveries, let a batch gather for at most this long (bench/RESULTS.md). */
const LINGER_MS = 25;

/**
 * Background processing. A PENDING transaction whose next_attempt_at has come is claimed with
 * FOR UPDATE SKIP LOCKED and leased (next_attempt_at pushed forward), so several instances share
 * the queue and a worker that dies mid-job leaves the row to be claimed again when the lease
 * ends. Success marks it PROCESSED and hands it to the matcher; failure backs off
 * exponentially and, after the last attempt, marks it FAILED with last_error.
 */
@Injectable()
export class ProcessingWorker extends BackgroundLoop {
  protected readonly logger = new Logger(ProcessingWorker.name);
  private readonly processed;
  private readonly failures;
  private readonly waited;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    // Provided by the reconciliation module; optional so intake can run on its own.
    @Optional() @Inject(TRANSACTION_MATCHER) private readonly matcher: TransactionMatcher | null,
    private readonly banks: BanksService,
    private readonly wakeups: Wakeups,
    metrics: MetricsService,
    gauge: LoadGauge,
  ) {
    super(
      config.workerEnabled,
      wakeups.transactions,
      pollMs(config, IDLE_POLL_MS),
      CLAIM_BATCH,
      LINGER_MS,
      yieldTo(gauge, config),
    );
    this.processed = metrics.counter(
      'bank_sync_transactions_processed_total',
      'Transactions processed by the background worker, by outcome',
      ['outcome'],
      each('outcome', ['processed', 'voided', 'failed']),
    );
    this.waited = metrics.pipelineWait();
    this.failures = metrics.counter(
      'bank_sync_processing_attempt_failures_total',
      'Processing attempts that failed (retried or, after the last, FAILED)',
    );
  }

  /** Claims and processes one batch; returns how many rows it claimed. */
  async tick(): Promise<number> {
    const rows = await this.claim();
    if (rows.length === 0) return 0;
    for (const r of rows)
      if (r.waited_s !== null) this.waited.observe({ stage: 'claimed' }, r.waited_s);
    this.processed.inc({ outcome: 'processed' }, rows.filter((r) => r.completed).length);
    // Debits too: one naming a paid invoice is a refund; any other becomes not_applicable.
    await this.match(rows.filter((r) => r.completed).map((r) => r.id));
    const special = rows.filter((r) => !r.completed);
    for (let i = 0; i < special.length; i += FETCH_CONCURRENCY) {
      // The rows still waiting keep their lease: a group can take a fetch timeout, and a slow
      // bank API would otherwise let another instance claim rows this one is about to process.
      if (i > 0) await this.renewLease(special.slice(i).map((r) => r.id));
      await settleAll(special.slice(i, i + FETCH_CONCURRENCY).map((r) => this.processOne(r)));
    }
    // The claim and the processing committed transaction.processed events (matching wakes the
    // relay itself): relay them now, not at the relay's next poll.
    this.wakeups.outbox.notify();
    return rows.length;
  }

  /**
   * One statement claims the due rows, oldest first. Those that arrived whole (seed format)
   * need no outside work, so they are completed right here, PROCESSED with their event in the
   * same transaction; the others (an Up fetch, a void) are leased: next_attempt_at moves past
   * the lease, so if this worker dies another claims them when it ends.
   */
  private async claim(): Promise<ClaimedRow[]> {
    return this.dataSource.query<ClaimedRow[]>(
      `WITH due AS (
         SELECT id, needs_fetch OR void_requested AS special FROM transactions
          WHERE status = 'PENDING' AND next_attempt_at <= now()
          ORDER BY next_attempt_at
          LIMIT $1
          FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE transactions t
            SET attempts = t.attempts + 1,
                status = CASE WHEN due.special THEN t.status ELSE 'PROCESSED' END,
                processed_at = CASE WHEN due.special THEN t.processed_at ELSE now() END,
                last_error = CASE WHEN due.special THEN t.last_error END,
                next_attempt_at = CASE WHEN due.special
                  THEN now() + make_interval(secs => $2::double precision / 1000)
                  ELSE t.next_attempt_at END,
                updated_at = now()
           FROM due
          WHERE t.id = due.id
          RETURNING t.id, t.bank_id, t.external_id, t.direction, t.attempts, t.needs_fetch,
                    t.void_requested, t.details_url, t.bank_status, t.next_attempt_at,
                    NOT due.special AS completed,
                    CASE WHEN t.attempts = 1
                      THEN extract(epoch FROM clock_timestamp() - t.created_at)::float8 END AS waited_s,
                    CASE WHEN NOT due.special THEN bank_sync_transaction_json(t) END AS json),
       events AS (
         INSERT INTO outbox_events (id, type, payload)
         SELECT gen_random_uuid(), 'transaction.processed', json FROM claimed WHERE completed)
       SELECT id, bank_id, external_id, direction, attempts, needs_fetch, void_requested,
              details_url, bank_status, completed, waited_s
         FROM claimed ORDER BY next_attempt_at`,
      [CLAIM_BATCH, this.config.processing.leaseMs],
    );
  }

  private async renewLease(ids: string[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE transactions
          SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE id = ANY($1::uuid[]) AND status = 'PENDING'`,
      [ids, this.config.processing.leaseMs],
    );
  }

  private async processOne(row: ClaimedRow): Promise<void> {
    try {
      if (row.void_requested) {
        // Still PENDING here, so no matching touches it while its allocations are reversed.
        await this.matcher?.reverseAllocations(row.id, 'deleted by bank');
        await this.dataSource.query(
          `UPDATE transactions SET status = 'VOIDED', void_requested = false, needs_fetch = false,
                  processed_at = now(), updated_at = now(), last_error = NULL
            WHERE id = $1`,
          [row.id],
        );
        this.processed.inc({ outcome: 'voided' });
        return;
      }
      const bank = await this.banks.resolve(row.bank_id);
      if (!bank?.api) throw new BankApiError(`bank ${row.bank_id} has no API to fetch from`, false);
      const tx = await fetchUpTransaction(bank.api, row.external_id, row.details_url);
      await this.reverseIfAmountChanged(row.id, tx.amount, tx.currency);
      const [updated] = await this.dataSource.query<Array<{ direction: string }>>(
        // What is not allocated is the (new) amount less the live allocations; those were
        // reversed above if the amount changed (a card hold often settles for another amount).
        // A fetch that finds nothing new (a hold re-checked while still HELD, a repeated
        // CREATED) changes no field and emits no second transaction.processed.
        `WITH before AS (
           SELECT processed_at IS NULL
                  OR amount IS DISTINCT FROM $2::numeric OR currency IS DISTINCT FROM $3
                  OR direction IS DISTINCT FROM $4 OR occurred_at IS DISTINCT FROM $5::timestamptz
                  OR reference IS DISTINCT FROM $6 OR description IS DISTINCT FROM $7
                  OR raw_text IS DISTINCT FROM $8 OR bank_status IS DISTINCT FROM $9
                  OR foreign_amount IS DISTINCT FROM $10::numeric
                  OR foreign_currency IS DISTINCT FROM $11
                  OR settled_at IS DISTINCT FROM $12::timestamptz
                  OR hold_amount IS DISTINCT FROM $13::numeric
                  OR hold_currency IS DISTINCT FROM $14 AS changed
             FROM transactions WHERE id = $1),
         done AS (UPDATE transactions
            SET amount = $2, currency = $3, direction = $4, occurred_at = $5, reference = $6,
                description = $7, raw_text = $8, bank_status = $9, foreign_amount = $10,
                foreign_currency = $11, settled_at = $12, hold_amount = $13, hold_currency = $14,
                -- Nothing to match in an amount of 0; an amount that is no longer 0 is.
                match_status = CASE WHEN $2::numeric = 0 THEN 'not_applicable'
                                    WHEN transactions.match_status = 'not_applicable'
                                    THEN 'unmatched' ELSE transactions.match_status END,
                unallocated_amount = $2::numeric - COALESCE(
                  (SELECT sum(m.amount) FROM transaction_matches m
                    WHERE m.transaction_id = $1 AND m.reversed_at IS NULL), 0),
                needs_fetch = false, status = 'PROCESSED',
                processed_at = CASE WHEN (SELECT changed FROM before) THEN now()
                                    ELSE transactions.processed_at END,
                updated_at = now(), last_error = NULL
          WHERE id = $1 AND status = 'PENDING' AND NOT void_requested
          RETURNING direction, bank_sync_transaction_json(transactions) AS json),
         outbox AS (INSERT INTO outbox_events (id, type, payload)
                    SELECT gen_random_uuid(), 'transaction.processed', json FROM done
                     WHERE (SELECT changed FROM before))
         SELECT direction FROM done`,
        [
          row.id,
          tx.amount,
          tx.currency,
          tx.direction,
          tx.occurredAt,
          tx.message,
          tx.description,
          tx.rawText,
          tx.status,
          tx.foreignAmount,
          tx.foreignCurrency,
          tx.settledAt,
          tx.holdAmount,
          tx.holdCurrency,
        ],
      );
      this.processed.inc({ outcome: 'processed' });
      const matchable = updated?.direction === 'credit' && tx.status !== 'HELD';
      if (matchable && !isZeroAmount(tx.amount)) await this.match([row.id]);
    } catch (err) {
      await this.fail(row, err);
    }
  }

  /**
   * A transaction fetched again (an Up SETTLED, or a repeated event) whose amount or currency the
   * bank changed: its live allocations were decided on the old amount, so they are reversed
   * (audited, like a void's) and the transaction is matched afresh once PROCESSED. HELD ones have
   * none (they are not matchable), so a hold that settles for another amount only takes it.
   */
  private async reverseIfAmountChanged(
    id: string,
    amount: string,
    currency: string,
  ): Promise<void> {
    const [stored] = await this.dataSource.query<
      Array<{ amount: string | null; currency: string | null; live: number }>
    >(
      `SELECT amount::text AS amount, currency,
              (SELECT count(*)::int FROM transaction_matches m
                WHERE m.transaction_id = t.id AND m.reversed_at IS NULL) AS live
         FROM transactions t WHERE t.id = $1`,
      [id],
    );
    if (!stored || stored.live === 0 || stored.amount === null) return;
    const same =
      stored.currency === currency && compareMoney(stored.amount, amount, currency) === 0;
    if (!same) await this.matcher?.reverseAllocations(id, 'amount changed by the bank');
  }

  private async fail(row: ClaimedRow, err: unknown): Promise<void> {
    const message = storableMessage(err instanceof Error ? err.message : String(err));
    const retryable = !(err instanceof BankApiError) || err.retryable;
    const final = !retryable || row.attempts >= this.config.processing.maxAttempts;
    this.failures.inc();
    const { backoffMs } = this.config.processing;
    // Exponential backoff with full jitter, capped at one hour.
    const delay =
      Math.min(3_600_000, backoffMs * 2 ** (row.attempts - 1)) * (0.5 + Math.random() / 2);
    await this.dataSource.query(
      `WITH done AS (
         UPDATE transactions
            SET status = CASE WHEN $2 THEN 'FAILED' ELSE status END,
                next_attempt_at = now() + make_interval(secs => $3::double precision / 1000),
                last_error = $4, updated_at = now()
          WHERE id = $1 AND status = 'PENDING'
          RETURNING status, bank_sync_transaction_json(transactions) AS json)
       INSERT INTO outbox_events (id, type, payload)
       SELECT gen_random_uuid(), 'transaction.failed', json FROM done WHERE status = 'FAILED'`,
      [row.id, final, Math.round(delay), message.slice(0, 2000)],
    );
    if (final) this.processed.inc({ outcome: 'failed' });
    this.logger.warn(
      `transaction ${row.id} attempt ${row.attempts} failed${final ? ' (FAILED)' : ''}: ${message}`,
    );
  }

  /** Real-time matching; a failure here is left to the next reconciliation run. */
  private async match(ids: string[]): Promise<void> {
    if (ids.length === 0 || !this.matcher) return;
    try {
      await this.matcher.matchTransactions(ids);
    } catch (err) {
      this.logger.warn(
        `matching after processing: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}
