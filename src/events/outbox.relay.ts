import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource, type EntityManager } from 'typeorm';
import { BackgroundLoop, pollMs, settleAll, yieldTo } from '../common/background-loop';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Wakeups } from '../database/wakeups';
import { each, MetricsService } from '../metrics/metrics.service';
import { EVENT_SINKS, type EventSink, type OutboxEvent, type RelayQuery } from './event-sink';
import { EVENT_TYPES } from './event.entities';

/** Events per claim (one FETCH) and per hand-over to the sinks. */
const BATCH = 500;
/**
 * Events per relay transaction at most: its batches are claimed from one snapshot, handed on
 * while the previous ones are acknowledged, and committed together (bench/RESULTS.md).
 */
const GROUP = 5000;
/** No further batch is claimed in a transaction that has run this long (a slow broker). */
const GROUP_MS = 1000;
/** Batches claimed and not yet taken by every sink, at most: the claim runs one batch ahead. */
const AHEAD = 2;
const IDLE_POLL_MS = 500;
/** Under a stream of events, let a batch gather for at most this long (bench/RESULTS.md). */
const LINGER_MS = 25;

/**
 * Statements on `m` one at a time, in the order they were issued: the relay fetches and marks
 * its next batch while the sinks write (node-pg refuses overlapping queries on one client from
 * its next major version on).
 */
function oneAtATime(m: EntityManager): RelayQuery {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(sql: string, params?: unknown[]): Promise<T> => {
    const run = tail.then(() => m.query<T>(sql, params));
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Moves outbox events to the sinks, in commit order (`seq`). Rows are claimed with FOR UPDATE
 * SKIP LOCKED, so several instances share the work; an event is marked dispatched in the same
 * transaction in which the sinks take it, which commits only once they took it all, so a crash
 * in between leaves it to be relayed again.
 */
@Injectable()
export class OutboxRelay extends BackgroundLoop {
  protected readonly logger = new Logger('OutboxRelay');
  private readonly relayed;
  private readonly waited;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(EVENT_SINKS) private readonly sinks: EventSink[],
    metrics: MetricsService,
    gauge: LoadGauge,
    private readonly wakeups: Wakeups,
  ) {
    // Woken after the commits that write events on the way to money (intake's processing and
    // matching); the poll finds the rest (staff changes, runs).
    super(
      config.workerEnabled,
      wakeups.outbox,
      pollMs(config, IDLE_POLL_MS),
      BATCH,
      LINGER_MS,
      yieldTo(gauge, config),
    );
    this.waited = metrics.pipelineWait();
    this.relayed = metrics.counter(
      'bank_sync_events_written_total',
      'Events written to the outbox and relayed to the sinks, by type',
      ['type'],
      each('type', EVENT_TYPES),
    );
  }

  /** Relays one transaction of up to GROUP events; returns how many. */
  async tick(): Promise<number> {
    const events = await this.dataSource.transaction((m) => this.relay(oneAtATime(m)));
    for (const e of events) {
      this.relayed.inc({ type: e.type });
      this.waited.observe({ stage: 'relayed' }, e.waited_s);
    }
    // Committed: the deliveries the sinks wrote can be sent now, by whichever instance.
    if (events.length > 0) this.wakeups.deliveries.notify();
    return events.length;
  }

  /**
   * One relay transaction. Its batches come from one cursor, so from one snapshot: an event
   * committed meanwhile (even one with a lower `seq`, whose transaction began earlier) waits
   * for the next transaction, and cannot be published after a later event of its aggregate
   * that a second claim would have seen. Each batch is marked dispatched as soon as it is
   * claimed (the UPDATE queues on the connection right behind its FETCH, so the next claim never
   * waits for an acknowledgement to be marked) and goes to the sinks while the previous one is
   * still being acknowledged; the commit comes after every sink took the last batch. A failure
   * anywhere rolls the whole transaction back: every event of it is relayed again (the stream
   * dedupes).
   */
  private async relay(query: RelayQuery): Promise<Array<OutboxEvent & { waited_s: number }>> {
    // A sink that keeps commit order (a message bus) gets one transaction at a time across all
    // instances: with SKIP LOCKED alone, a second instance would publish the next events while
    // the first one's are still in flight, or while they are being rolled back to be sent again.
    if (this.sinks.some((s) => s.ordered)) {
      await query(`SELECT pg_advisory_xact_lock(hashtext('bank_sync.outbox_relay'))`);
    }
    const columns =
      (this.sinks.some((s) => s.needsData)
        ? 'id, seq, type, aggregateid, payload::text AS data, created_at'
        : 'id, seq, type, aggregateid, created_at') +
      ', extract(epoch FROM clock_timestamp() - created_at)::float8 AS waited_s';
    await query(
      `DECLARE relay_claim NO SCROLL CURSOR FOR
         SELECT ${columns} FROM outbox_events
          WHERE dispatched_at IS NULL ORDER BY seq LIMIT ${GROUP} FOR UPDATE SKIP LOCKED`,
    );
    const handOvers = this.sinks.map((sink) => sink.open(query));
    const started = performance.now();
    const events: Array<OutboxEvent & { waited_s: number; seq: string }> = [];
    const taken: Array<Promise<unknown>> = [];
    let failed = false;
    try {
      while (!failed && !this.stopping) {
        // One batch ahead of the acknowledgements, not the whole group in memory.
        if (taken.length >= AHEAD) await taken[taken.length - AHEAD].catch(() => undefined);
        if (failed) break;
        const batch = await query<Array<OutboxEvent & { waited_s: number; seq: string }>>(
          `FETCH FORWARD ${BATCH} FROM relay_claim`,
        );
        if (batch.length === 0) break;
        events.push(...batch);
        // Marked at once: it only counts once this transaction commits, after the sinks took it.
        // Measured: ~10 % more events/s than marking after the acknowledgements (RESULTS.md).
        const mark = query(
          `UPDATE outbox_events SET dispatched_at = now()
            WHERE seq = ANY($1::bigint[]) AND dispatched_at IS NULL`,
          [batch.map((e) => e.seq)],
        );
        // Side by side: the webhook fan-out's INSERT runs while the bus acknowledges.
        const take = settleAll([mark, ...handOvers.map((h) => h.take(batch))]).catch(
          (err: unknown) => {
            failed = true;
            throw err;
          },
        );
        // Handled here, reported by settleAll below: never an unhandled rejection meanwhile.
        take.catch(() => undefined);
        taken.push(take);
        if (batch.length < BATCH || performance.now() - started > GROUP_MS) break;
      }
    } finally {
      // Nothing of this transaction still running when it commits or rolls back.
      await Promise.allSettled(taken);
    }
    await settleAll(taken);
    return events;
  }
}
