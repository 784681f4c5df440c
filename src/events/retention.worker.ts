import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BackgroundLoop, yieldTo } from '../common/background-loop';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { returning } from '../database/sql';
import { each, MetricsService } from '../metrics/metrics.service';
import { WorkSignal } from '../common/work-signal';

const BATCH = 1000;
const HOURLY_MS = 3_600_000;

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

// Relayed events older than the retention plus the retry window (their deliveries, if any, go
// first, above), that no delivery refers to any more. An event not yet relayed is never
// deleted, however old: it has not reached its sinks.
const PRUNE_EVENTS = `
WITH old AS (
  SELECT e.id FROM outbox_events e
   WHERE e.dispatched_at IS NOT NULL
     AND e.created_at < now() - make_interval(days => $1) - make_interval(secs => $3 / 1000.0)
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
   ORDER BY e.created_at LIMIT $2 FOR UPDATE SKIP LOCKED
)
DELETE FROM outbox_events e USING old WHERE e.id = old.id RETURNING e.id`;

/**
 * Keeps the outbox and the delivery log from growing without bound: at start and then hourly,
 * deletes what `EVENTS_RETENTION_DAYS` (default 30; 0 keeps everything) says is old, in batches
 * of 1 000 rows that give way to a webhook burst; a backlog (the first run after an upgrade) is
 * worked off batch after batch. Several instances share the work (SKIP LOCKED). Raw bank events,
 * transactions, matches and runs are records, not outbound traffic: never pruned.
 */
@Injectable()
export class RetentionWorker extends BackgroundLoop {
  protected readonly logger = new Logger('EventRetention');
  private readonly pruned;
  private readonly days: number;
  private readonly maxAgeMs: number;

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
      undefined,
      0,
      yieldTo(gauge, config),
    );
    this.days = config.events.retentionDays;
    this.maxAgeMs = config.events.maxAgeMs;
    this.pruned = metrics.counter(
      'bank_sync_events_pruned_total',
      'Outbound webhook deliveries and outbox events deleted by EVENTS_RETENTION_DAYS',
      ['kind'],
      each('kind', ['delivery', 'event']),
    );
  }

  /**
   * One batch of each. Reports work to the loop only for a full batch (more may be left, go on
   * at once); anything less means caught up, and the loop sleeps for an hour.
   */
  async tick(): Promise<number> {
    const { deliveries, events } = await this.prune();
    return deliveries === BATCH || events === BATCH ? deliveries + events : 0;
  }

  /** Deletes one batch of old deliveries, then one of old events; says how many of each. */
  async prune(): Promise<{ deliveries: number; events: number }> {
    if (this.days <= 0) return { deliveries: 0, events: 0 };
    const deliveries = (await returning(this.dataSource, PRUNE_DELIVERIES, [this.days, BATCH]))
      .length;
    const events = (
      await returning(this.dataSource, PRUNE_EVENTS, [this.days, BATCH, this.maxAgeMs])
    ).length;
    if (deliveries > 0) this.pruned.inc({ kind: 'delivery' }, deliveries);
    if (events > 0) this.pruned.inc({ kind: 'event' }, events);
    return { deliveries, events };
  }
}
