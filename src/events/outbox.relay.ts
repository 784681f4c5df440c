import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BackgroundLoop, yieldTo } from '../common/background-loop';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { WorkSignal } from '../transactions/work-signal';
import { MetricsService } from '../metrics/metrics.service';
import { EVENT_SINKS, type EventSink, type OutboxEvent } from './event-sink';

const BATCH = 500;
const IDLE_POLL_MS = 500;

/**
 * Moves outbox events to the sinks. Rows are claimed with FOR UPDATE SKIP LOCKED, so several
 * instances share the work; a batch is marked dispatched in the same transaction in which the
 * sinks took it, so a crash in between leaves it to be relayed again.
 */
@Injectable()
export class OutboxRelay extends BackgroundLoop {
  protected readonly logger = new Logger('OutboxRelay');
  private readonly relayed;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(EVENT_SINKS) private readonly sinks: EventSink[],
    metrics: MetricsService,
    gauge: LoadGauge,
  ) {
    // Polled: events are written by many statements; a wake-up from each is not worth it.
    super(config.workerEnabled, new WorkSignal(), IDLE_POLL_MS, BATCH, 100, yieldTo(gauge, config));
    this.relayed = metrics.counter(
      'bank_sync_events_written_total',
      'Events written to the outbox and relayed to the sinks, by type',
      ['type'],
    );
  }

  /** Relays one batch; returns its size. */
  async tick(): Promise<number> {
    const columns = this.sinks.some((s) => s.needsData)
      ? 'id, type, data, created_at'
      : 'id, type, created_at';
    const events = await this.dataSource.transaction(async (m) => {
      const batch = await m.query<OutboxEvent[]>(
        `SELECT ${columns} FROM outbox_events
          WHERE dispatched_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      if (batch.length === 0) return batch;
      for (const sink of this.sinks) await sink.publish(m, batch);
      await m.query(`UPDATE outbox_events SET dispatched_at = now() WHERE id = ANY($1::uuid[])`, [
        batch.map((e) => e.id),
      ]);
      return batch;
    });
    for (const e of events) this.relayed.inc({ type: e.type });
    return events.length;
  }
}
