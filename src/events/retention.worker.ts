import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BackgroundLoop, yieldTo } from '../common/background-loop';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { returning } from '../database/sql';
import { MetricsService } from '../metrics/metrics.service';
import { WorkSignal } from '../transactions/work-signal';

const BATCH = 1000;
const HOURLY_MS = 3_600_000;
const PAUSE_MS = 1000;

// Finished deliveries (delivered, or dead-lettered) whose retry window closed more than the
// retention ago, with their attempt log. A pending one is never touched, and one retried from
// the dead-letter queue gets a new window, so it is kept again from then on.
const PRUNE_DELIVERIES = `
WITH old AS (
  SELECT id FROM webhook_deliveries
   WHERE status <> 'pending' AND expires_at < now() - make_interval(days => $1)
   ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
), attempts AS (
  DELETE FROM delivery_attempts a USING old WHERE a.delivery_id = old.id
)
DELETE FROM webhook_deliveries d USING old WHERE d.id = old.id RETURNING d.id`;

// Relayed events older than the retention that no delivery refers to any more. An event not yet
// relayed is never deleted, however old: it has not reached its sinks.
const PRUNE_EVENTS = `
WITH old AS (
  SELECT e.id FROM outbox_events e
   WHERE e.created_at < now() - make_interval(days => $1) AND e.dispatched_at IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
   LIMIT $2 FOR UPDATE SKIP LOCKED
)
DELETE FROM outbox_events e USING old WHERE e.id = old.id RETURNING e.id`;

/**
 * Keeps the outbox and the delivery log from growing without bound: at start and then hourly,
 * deletes what `EVENTS_RETENTION_DAYS` (default 30; 0 keeps everything) says is old, in batches
 * of 1 000 rows that give way to a webhook burst. Several instances share the work (SKIP LOCKED).
 * Raw bank events, transactions, matches and runs are records, not outbound traffic: never pruned.
 */
@Injectable()
export class RetentionWorker extends BackgroundLoop {
  protected readonly logger = new Logger('EventRetention');
  private readonly pruned;
  private readonly days: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
    gauge: LoadGauge,
  ) {
    super(
      config.workerEnabled && config.events.retentionDays > 0,
      new WorkSignal(),
      HOURLY_MS,
      BATCH,
      PAUSE_MS,
      yieldTo(gauge, config),
    );
    this.days = config.events.retentionDays;
    this.pruned = metrics.counter(
      'bank_sync_events_pruned_total',
      'Outbound webhook deliveries and outbox events deleted by EVENTS_RETENTION_DAYS',
      ['kind'],
    );
  }

  /** Deletes one batch of each; returns the larger count (a full batch: more may be left). */
  async tick(): Promise<number> {
    if (this.days <= 0) return 0;
    const deliveries = await returning(this.dataSource, PRUNE_DELIVERIES, [this.days, BATCH]);
    const events = await returning(this.dataSource, PRUNE_EVENTS, [this.days, BATCH]);
    if (deliveries.length > 0) this.pruned.inc({ kind: 'delivery' }, deliveries.length);
    if (events.length > 0) this.pruned.inc({ kind: 'event' }, events.length);
    return Math.max(deliveries.length, events.length);
  }
}
