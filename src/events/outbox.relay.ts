import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BackgroundLoop, pollMs, settleAll, yieldTo } from '../common/background-loop';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Wakeups } from '../database/wakeups';
import { each, MetricsService } from '../metrics/metrics.service';
import { EVENT_SINKS, type EventSink, type OutboxEvent } from './event-sink';
import { EVENT_TYPES } from './event.entities';

const BATCH = 500;
const IDLE_POLL_MS = 500;
/** Under a stream of events, let a batch gather for at most this long (bench/RESULTS.md). */
const LINGER_MS = 25;

/**
 * Moves outbox events to the sinks, in commit order (`seq`). Rows are claimed with FOR UPDATE
 * SKIP LOCKED, so several instances share the work; a batch is marked dispatched in the same
 * transaction in which the sinks took it, so a crash in between leaves it to be relayed again.
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

  /** Relays one batch; returns its size. */
  async tick(): Promise<number> {
    const columns =
      (this.sinks.some((s) => s.needsData)
        ? 'id, type, aggregateid, payload::text AS data, created_at'
        : 'id, type, aggregateid, created_at') +
      ', extract(epoch FROM clock_timestamp() - created_at)::float8 AS waited_s';
    const events = await this.dataSource.transaction(async (m) => {
      // A sink that keeps commit order (a message bus) gets one batch at a time across all
      // instances: with SKIP LOCKED alone, a second instance would publish the next batch while
      // the first one's is still in flight, or while it is being rolled back to be sent again.
      if (this.sinks.some((s) => s.ordered)) {
        await m.query(`SELECT pg_advisory_xact_lock(hashtext('bank_sync.outbox_relay'))`);
      }
      const batch = await m.query<Array<OutboxEvent & { waited_s: number }>>(
        `SELECT ${columns} FROM outbox_events
          WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      if (batch.length === 0) return batch;
      // Side by side: the webhook fan-out's INSERT runs while the bus acknowledges.
      await settleAll(this.sinks.map((sink) => sink.publish(m, batch)));
      await m.query(`UPDATE outbox_events SET dispatched_at = now() WHERE id = ANY($1::uuid[])`, [
        batch.map((e) => e.id),
      ]);
      return batch;
    });
    for (const e of events) {
      this.relayed.inc({ type: e.type });
      this.waited.observe({ stage: 'relayed' }, e.waited_s);
    }
    // Committed: the deliveries the sinks wrote can be sent now, by whichever instance.
    if (events.length > 0) this.wakeups.deliveries.notify();
    return events.length;
  }
}
