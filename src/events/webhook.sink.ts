import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { EventSink, OutboxEvent, RelayQuery, SinkHandOver } from './event-sink';

/** Fans events out to one delivery row per matching subscription; DeliveryWorker sends them. */
@Injectable()
export class WebhookSink implements EventSink {
  readonly name = 'webhooks';
  readonly needsData = false;
  // Receivers order by `occurred_at`; deliveries are sent in parallel anyway.
  readonly ordered = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  open(query: RelayQuery): SinkHandOver {
    // Looked up once a relay transaction, after its claim's snapshot: a subscription created
    // later than this look was created after every event the transaction relays was committed,
    // so it is owed none of them. With none at all, no batch sends its ids for nothing.
    let any: Promise<boolean> | null = null;
    return {
      take: async (events) => {
        any ??= query<Array<{ any: boolean }>>(
          `SELECT EXISTS (SELECT 1 FROM webhook_subscriptions
                           WHERE enabled AND deleted_at IS NULL) AS any`,
        ).then((rows) => rows[0].any);
        if (await any) await this.fanOut(query, events);
      },
    };
  }

  private async fanOut(query: RelayQuery, events: OutboxEvent[]): Promise<void> {
    // The relay wakes the delivery worker once this transaction has committed.
    await query(
      `INSERT INTO webhook_deliveries (subscription_id, event_id, expires_at)
       SELECT s.id, e.id, now() + make_interval(secs => $3::double precision / 1000)
         FROM unnest($1::uuid[], $2::text[]) AS e(id, type)
         JOIN webhook_subscriptions s
           ON s.enabled AND s.deleted_at IS NULL AND e.type = ANY(s.events)
       ON CONFLICT (event_id, subscription_id) DO NOTHING`,
      [events.map((e) => e.id), events.map((e) => e.type), this.config.events.maxAgeMs],
    );
  }
}
