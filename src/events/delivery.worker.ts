import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { BackgroundLoop, pollMs, settleAll, yieldTo } from '../common/background-loop';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { secretBox } from '../common/secret-box';
import { returning } from '../database/sql';
import { Wakeups } from '../database/wakeups';
import { each, MetricsService } from '../metrics/metrics.service';
import { postJson } from './guarded-post';
import { subscriberUrlProblem } from './subscriber-url';

interface DueDelivery {
  id: string;
  url: string;
  attempts: number;
  expires_at: Date;
  event_id: string;
  type: string;
  data: unknown;
  occurred_at: Date;
  secrets: string[];
  /** Seconds from the event's commit to this first attempt (null for a retry). */
  waited_s: number | null;
}

/** One attempt's result, recorded with the rest of its batch. */
interface Attempt {
  id: string;
  status: number | null;
  error: string | null;
  latencyMs: number;
  outcome: 'delivered' | 'retried' | 'dead_lettered';
  backoffMs: number;
}

const BATCH = 200;
/** Attempts of one batch in flight at once. */
const CONCURRENCY = 50;
const IDLE_POLL_MS = 1000;
const MAX_BACKOFF_MS = 3_600_000;

/**
 * Sends outbound webhooks, signed per Standard Webhooks with every active secret of the
 * subscription. A delivery is leased while in flight (a killed worker's delivery is sent again
 * when the lease ends: at least once; the event id is the receiver's idempotency key). A 2xx is
 * success; anything else or a timeout is retried with exponential backoff and full jitter until
 * the delivery's expiry, then it is dead-lettered.
 */
@Injectable()
export class DeliveryWorker extends BackgroundLoop {
  protected readonly logger = new Logger('DeliveryWorker');
  private readonly outcomes;
  private readonly latency;
  private readonly waited;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    wakeups: Wakeups,
    metrics: MetricsService,
    gauge: LoadGauge,
  ) {
    super(
      config.workerEnabled,
      wakeups.deliveries,
      pollMs(config, IDLE_POLL_MS),
      undefined,
      0,
      yieldTo(gauge, config),
    );
    this.outcomes = metrics.counter(
      'bank_sync_event_deliveries_total',
      'Outbound webhook attempts by outcome (delivered, retried, dead_lettered)',
      ['outcome'],
      each('outcome', ['delivered', 'retried', 'dead_lettered']),
    );
    this.waited = metrics.pipelineWait();
    this.latency = metrics.histogram(
      'bank_sync_event_delivery_seconds',
      'Latency of outbound webhook attempts',
      [],
      [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
  }

  async tick(): Promise<number> {
    const leaseMs = this.config.events.timeoutMs + 5_000;
    const due = await returning<DueDelivery>(
      this.dataSource,
      `WITH claimed AS (
         UPDATE webhook_deliveries d
            SET attempts = d.attempts + 1,
                next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
           -- A disabled subscription's deliveries wait, pending, until it is enabled again.
           FROM (SELECT w.id FROM webhook_deliveries w
                   JOIN webhook_subscriptions ws
                     ON ws.id = w.subscription_id AND ws.enabled AND ws.deleted_at IS NULL
                  WHERE w.status = 'pending' AND w.next_attempt_at <= now()
                  ORDER BY w.next_attempt_at LIMIT $1 FOR UPDATE OF w SKIP LOCKED) due
          WHERE d.id = due.id
          RETURNING d.id, d.subscription_id, d.event_id, d.attempts, d.expires_at)
       SELECT c.id, s.url, c.attempts, c.expires_at, e.id AS event_id, e.type, e.payload AS data,
              e.created_at AS occurred_at,
              CASE WHEN c.attempts = 1
                THEN extract(epoch FROM clock_timestamp() - e.created_at)::float8 END AS waited_s,
              ARRAY(SELECT secret FROM subscription_secrets x
                     WHERE x.subscription_id = s.id AND (x.expires_at IS NULL OR x.expires_at > now())
                     ORDER BY x.created_at DESC) AS secrets
         FROM claimed c
         JOIN webhook_subscriptions s ON s.id = c.subscription_id
         JOIN outbox_events e ON e.id = c.event_id`,
      [BATCH, leaseMs],
    );
    // Every attempt of the batch is recorded in one transaction, not one each: a commit per
    // delivery was most of the time between relay and receiver at a few hundred events/s
    // (bench/RESULTS.md, time to money). The batch already waits for its slowest attempt.
    for (const d of due)
      if (d.waited_s !== null) this.waited.observe({ stage: 'sent' }, d.waited_s);
    const attempts: Attempt[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < due.length) attempts.push(await this.deliver(due[next++]));
    };
    await settleAll(Array.from({ length: Math.min(CONCURRENCY, due.length) }, lane));
    await this.record(attempts);
    return due.length;
  }

  private async deliver(d: DueDelivery): Promise<Attempt> {
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const problem = await subscriberUrlProblem(d.url, this.config.events.allowPrivateUrls);
      if (problem) throw new Error(problem);
      const payload = JSON.stringify({
        id: d.event_id,
        type: d.type,
        occurred_at: d.occurred_at.toISOString(),
        data: d.data,
      });
      const now = new Date();
      // Read by SQL, not through the entity: opened here (SECRETS_ENCRYPTION_KEY), inside the
      // attempt, so a secret that does not open fails this delivery's attempt, not the batch.
      const box = secretBox();
      const signature = d.secrets
        .map((s) => new Webhook(box.open(s)).sign(d.event_id, now, payload))
        .join(' ');
      status = await postJson(
        d.url,
        {
          'content-type': 'application/json',
          'user-agent': 'bank-sync-webhooks/1',
          'webhook-id': d.event_id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
        payload,
        this.config.events.timeoutMs,
        this.config.events.allowPrivateUrls,
      );
      if (status < 200 || status > 299) error = `receiver answered ${status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const latencyMs = Date.now() - started;
    this.latency.observe(latencyMs / 1000);
    const backoff =
      Math.min(MAX_BACKOFF_MS, this.config.events.retryBaseMs * 2 ** (d.attempts - 1)) *
      Math.random();
    const outcome =
      error === null
        ? 'delivered'
        : Date.now() + backoff >= d.expires_at.getTime()
          ? 'dead_lettered'
          : 'retried';
    return { id: d.id, status, error, latencyMs, outcome, backoffMs: Math.round(backoff) };
  }

  private async record(attempts: Attempt[]): Promise<void> {
    if (attempts.length === 0) return;
    const column = <K extends keyof Attempt>(k: K): Array<Attempt[K]> => attempts.map((a) => a[k]);
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO delivery_attempts (delivery_id, response_status, latency_ms, error)
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[])`,
        [
          column('id'),
          column('status'),
          column('latencyMs'),
          attempts.map((a) => a.error?.slice(0, 1000) ?? null),
        ],
      );
      await m.query(
        `UPDATE webhook_deliveries d
            SET status = v.status, last_error = v.error,
                delivered_at = CASE WHEN v.status = 'delivered' THEN now() END,
                next_attempt_at = now() + make_interval(secs => v.backoff::double precision / 1000)
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[]) AS v(id, status, error, backoff)
          WHERE d.id = v.id AND d.id = ANY($1::uuid[]) AND d.status = 'pending'`,
        [
          column('id'),
          attempts.map((a) =>
            a.outcome === 'retried' ? 'pending' : a.outcome === 'delivered' ? 'delivered' : 'dead',
          ),
          column('error'),
          column('backoffMs'),
        ],
      );
    });
    for (const a of attempts) {
      this.outcomes.inc({ outcome: a.outcome });
      if (a.outcome === 'dead_lettered')
        this.logger.warn(`delivery ${a.id} dead-lettered: ${a.error}`);
    }
  }
}
