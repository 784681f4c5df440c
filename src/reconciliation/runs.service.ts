import {
  type BeforeApplicationShutdown,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { LoadGauge } from '../common/load-gauge';
import { ProblemException } from '../common/problem';
import { Wakeups } from '../database/wakeups';
import { emitEvents } from '../events/outbox';
import { each, MetricsService } from '../metrics/metrics.service';
import { BATCH_SIZE, MatchEngine, type BatchResult } from './match-engine';
import { toRunDto } from './reconciliation.mappers';
import type { RunDto } from './reconciliation.dto';
import {
  ReconciliationRunEntity,
  RUN_STATUSES,
  RUN_TRIGGERS,
  type RunTrigger,
} from './reconciliation-run.entity';
import { RUN_PULL_STEP, type RunPullStep } from './run-pull-step';

/** pg_advisory_lock key of "a run is in progress" (any instance on this database). */
export const RUN_LOCK_KEY = 7_243_520_113;
export const RUN_ID_LIST_CAP = 1000;
const FINAL_STATUSES = RUN_STATUSES.filter((s) => s !== 'running');

/**
 * The transactions a run looks at, oldest first by arrival: credits with money left to allocate,
 * and debits not looked at yet (or still a refund exception). A debit that is no refund becomes
 * `not_applicable` and is never read again. The predicate is ix_transactions_match_candidates'.
 */
const CANDIDATES = `SELECT id, created_at FROM transactions
  WHERE status = 'PROCESSED'
    AND ((direction = 'credit' AND unallocated_amount > 0)
         OR (direction = 'debit' AND match_status = 'unmatched'))
    AND bank_status IS DISTINCT FROM 'HELD' AND amount IS NOT NULL
    AND unallocated_amount IS NOT NULL`;

@Injectable()
export class RunsService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('ReconciliationRuns');
  private readonly engine: MatchEngine;
  /** Runs of this instance in progress, scheduled or manual (its client may have gone). */
  private readonly inflight = new Set<Promise<unknown>>();
  /** Aborted when the service shuts down: no new run, and the runs in progress stop. */
  private readonly stopping = new AbortController();
  private readonly runsFinished;
  private readonly runSeconds;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RUN_PULL_STEP) private readonly pullStep: RunPullStep,
    private readonly gauge: LoadGauge,
    private readonly wakeups: Wakeups,
    metrics: MetricsService,
  ) {
    this.engine = new MatchEngine(dataSource, () => {
      wakeups.outbox.notify();
      wakeups.suggestions.notify();
    });
    this.runsFinished = metrics.counter(
      'bank_sync_reconcile_runs_total',
      'Reconciliation runs this instance finished, by trigger and final status',
      ['trigger', 'status'],
      RUN_TRIGGERS.flatMap((trigger) => FINAL_STATUSES.map((status) => ({ trigger, status }))),
    );
    this.runSeconds = metrics.histogram(
      'bank_sync_reconcile_run_duration_seconds',
      'Duration of the reconciliation runs this instance finished, pull and match, by final status',
      ['status'],
      [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      each('status', FINAL_STATUSES),
    );
  }

  /**
   * Pull, then match every candidate transaction, in keyset batches (memory stays bounded
   * whatever the volume). One run at a time across instances: a session advisory lock, held on a
   * dedicated connection for the whole run, and a unique index on the running row.
   */
  run(trigger: RunTrigger, startedBy: string | null): Promise<RunDto> {
    if (this.stopping.signal.aborted) {
      return Promise.reject(
        new ProblemException(
          HttpStatus.SERVICE_UNAVAILABLE,
          'shutting-down',
          'This instance is shutting down; start the run again (another instance takes it)',
        ),
      );
    }
    const running = this.runExclusive(trigger, startedBy);
    this.inflight.add(running);
    void running.then(
      () => this.inflight.delete(running),
      () => this.inflight.delete(running),
    );
    return running;
  }

  /**
   * Before the HTTP server and the pool close (Nest runs every `beforeApplicationShutdown`
   * first): no new run starts, and a run in progress stops after its current batch and is
   * recorded as failed with its event, instead of being cut off by the pool closing and left
   * `running`. What it did not reach, the next run matches.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort(new Error('the service is shutting down'));
    await Promise.allSettled([...this.inflight]);
  }

  private async runExclusive(trigger: RunTrigger, startedBy: string | null): Promise<RunDto> {
    const qr = this.dataSource.createQueryRunner();
    await qr.connect();
    try {
      const [{ locked }] = await qr.manager.query<Array<{ locked: boolean }>>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [RUN_LOCK_KEY],
      );
      if (!locked) throw await this.inProgress(qr);
      // Background batches (the relay above all: a run writes an event per paid invoice) wait
      // while the run is going; they catch up when it is done.
      const ended = this.gauge.runStarted();
      try {
        return await this.runLocked(qr, trigger, startedBy);
      } finally {
        ended();
        await qr.query('SELECT pg_advisory_unlock($1)', [RUN_LOCK_KEY]);
      }
    } finally {
      await qr.release();
    }
  }

  private async runLocked(
    qr: QueryRunner,
    trigger: RunTrigger,
    startedBy: string | null,
  ): Promise<RunDto> {
    const began = performance.now();
    // We hold the lock, so a row still marked running belongs to a process that died.
    await qr.query(
      `UPDATE reconciliation_runs SET status = 'failed', finished_at = now(),
              error = 'abandoned: the process running it stopped'
        WHERE status = 'running'`,
    );
    const runs = qr.manager.getRepository(ReconciliationRunEntity);
    const run = await runs.save(
      runs.create({
        trigger,
        status: 'running',
        startedBy,
        matchedTransactionIds: [],
        unmatchedTransactionIds: [],
        banks: [],
      }),
    );
    try {
      run.banks = await this.pullStep.pull(run.id, this.stopping.signal);
      run.pulledCount = run.banks.reduce((n, b) => n + b.pulled_count, 0);
      await this.matchAll(run);
      // What a failing bank did not serve was not matched: the run is not a success to alert on
      // as one, nor a failure (every other bank was pulled and everything stored was matched).
      run.status = run.banks.some((b) => b.error !== null) ? 'partial' : 'succeeded';
    } catch (err) {
      this.logger.error({ err, run_id: run.id }, 'reconciliation run failed');
      run.status = 'failed';
      run.error = err instanceof Error ? err.message : String(err);
    }
    run.finishedAt = new Date();
    // The finished run and its event commit together.
    await qr.manager.transaction(async (m) => {
      await m.getRepository(ReconciliationRunEntity).save(run);
      await emitEvents(m, [{ type: 'reconciliation.run_finished', data: toRunDto(run) }]);
    });
    this.runsFinished.inc({ trigger, status: run.status });
    this.runSeconds.observe({ status: run.status }, (performance.now() - began) / 1000);
    if (run.status === 'failed') {
      throw new ProblemException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'run-failed',
        `Reconciliation run ${run.id} failed; see GET /reconcile/runs/${run.id}`,
        { run_id: run.id },
      );
    }
    return toRunDto(run);
  }

  /**
   * Matches every candidate, oldest first, a batch per unit of work, two batches in flight: the
   * next batch starts (on another connection) once the current one holds its row locks, so its
   * reads and decisions overlap the current batch's writes. Oldest first still holds: an invoice
   * both batches name is already locked by the older batch, so the newer one waits for its
   * commit and reads what it left. Neither waits on a lock the other waits for: the older batch
   * takes no new row lock after `onLocked`.
   */
  private async matchAll(run: ReconciliationRunEntity): Promise<void> {
    let after: { at: Date; id: string } | null = null;
    let previous: Promise<BatchResult> | null = null;
    let latest: Promise<BatchResult> | null = null;
    try {
      for (;;) {
        if (this.stopping.signal.aborted) {
          throw new Error('stopped: the service is shutting down; the next run matches the rest');
        }
        const page: Array<{ id: string; created_at: Date }> = await this.dataSource.query(
          after
            ? `${CANDIDATES} AND (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT ${BATCH_SIZE}`
            : `${CANDIDATES} ORDER BY created_at, id LIMIT ${BATCH_SIZE}`,
          after ? [after.at, after.id] : [],
        );
        if (page.length === 0) break;
        const last = page[page.length - 1];
        after = { at: last.created_at, id: last.id };
        let onLocked!: () => void;
        const locked = new Promise<void>((resolve) => (onLocked = resolve));
        latest = this.engine.matchBatch(
          page.map((row) => row.id),
          run.id,
          onLocked,
        );
        // Settled later, in order; a failure must not surface as an unhandled rejection meanwhile.
        latest.catch(() => undefined);
        if (previous) this.count(run, await previous);
        previous = latest;
        await Promise.race([locked, latest]);
      }
      if (previous) this.count(run, await previous);
    } finally {
      // A failed batch ends the run; the other one must have ended before the run is recorded.
      await Promise.allSettled([previous, latest]);
    }
  }

  private count(run: ReconciliationRunEntity, result: BatchResult): void {
    run.matchedCount += result.matched.length;
    run.unmatchedCount += result.unmatched.length;
    const matchedCut = keepCapped(run.matchedTransactionIds, result.matched);
    const unmatchedCut = keepCapped(run.unmatchedTransactionIds, result.unmatched);
    run.idsTruncated = run.idsTruncated || matchedCut || unmatchedCut;
  }

  private async inProgress(qr: QueryRunner): Promise<ProblemException> {
    const [running] = await qr.manager.query<Array<{ id: string; started_at: Date }>>(
      `SELECT id, started_at FROM reconciliation_runs WHERE status = 'running' LIMIT 1`,
    );
    const detail = running
      ? `Reconciliation run ${running.id} is in progress (started ${running.started_at.toISOString()})`
      : 'A reconciliation run is starting on another instance';
    return new ProblemException(HttpStatus.CONFLICT, 'run-in-progress', detail, {
      running_run_id: running?.id ?? null,
    });
  }
}

/** Appends up to the cap; true when something had to be left out. */
function keepCapped(list: string[], ids: string[]): boolean {
  const room = RUN_ID_LIST_CAP - list.length;
  list.push(...ids.slice(0, Math.max(room, 0)));
  return ids.length > room;
}
