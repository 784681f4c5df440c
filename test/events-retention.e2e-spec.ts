import { RetentionWorker } from '../src/events/retention.worker';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { createTestDatabase, query } from './support/database';
import { eventually } from './support/webhooks';

const DAY = "interval '1 day'";

async function subscription(db: string): Promise<string> {
  const [{ id }] = await query<{ id: string }>(
    db,
    `INSERT INTO webhook_subscriptions (url, events) VALUES ('https://example.com/hook', '{invoice.paid}')
     RETURNING id`,
  );
  return id;
}

/** An outbox event `ageDays` old, relayed at the same time unless `relayed` is false. */
async function event(db: string, ageDays: number, relayed = true): Promise<string> {
  const [{ id }] = await query<{ id: string }>(
    db,
    `INSERT INTO outbox_events (id, type, payload, created_at, dispatched_at)
     VALUES (gen_random_uuid(), 'invoice.paid', '{}', now() - $1 * ${DAY},
             CASE WHEN $2 THEN now() - $1 * ${DAY} END)
     RETURNING id`,
    [ageDays, relayed],
  );
  return id;
}

/** `count` relayed outbox events, all `ageDays` old. */
async function relayedEvents(db: string, count: number, ageDays: number): Promise<void> {
  await query(
    db,
    `INSERT INTO outbox_events (id, type, payload, created_at, dispatched_at)
     SELECT gen_random_uuid(), 'invoice.paid', '{}', now() - $2 * ${DAY}, now() - $2 * ${DAY}
       FROM generate_series(1, $1)`,
    [count, ageDays],
  );
}

/** A delivery of `eventId` whose retry window closed `closedDaysAgo` ago (negative: still open). */
async function delivery(
  db: string,
  sub: string,
  eventId: string,
  status: 'pending' | 'delivered' | 'dead',
  closedDaysAgo: number,
  attempts = 0,
): Promise<string> {
  const [{ id }] = await query<{ id: string }>(
    db,
    `INSERT INTO webhook_deliveries (subscription_id, event_id, status, attempts, expires_at,
                                     next_attempt_at, delivered_at)
     VALUES ($1, $2, $3, $4, now() - $5 * ${DAY}, now() + ${DAY},
             CASE WHEN $3 = 'delivered' THEN now() - ($5 + 0.9) * ${DAY} END)
     RETURNING id`,
    [sub, eventId, status, attempts, closedDaysAgo],
  );
  for (let i = 0; i < attempts; i++) {
    await query(
      db,
      `INSERT INTO delivery_attempts (delivery_id, response_status, latency_ms) VALUES ($1, 500, 12)`,
      [id],
    );
  }
  return id;
}

const ids = async (db: string, table: string): Promise<string[]> =>
  (await query<{ id: string }>(db, `SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id);

describe('events retention (EVENTS_RETENTION_DAYS)', () => {
  it('by default, at start, deletes finished deliveries and relayed events older than 30 days (events: plus the retry window), with the attempts', async () => {
    const db = await createTestDatabase();
    const sub = await subscription(db);
    const oldDone = await event(db, 40);
    await delivery(db, sub, oldDone, 'delivered', 39, 2);
    await event(db, 32); // past 30 days and the 1-day retry window
    const recent = await event(db, 0.05);
    const recentDelivery = await delivery(db, sub, recent, 'delivered', -0.9, 1);

    const t: TestApp = await startTestApp({}, db);
    try {
      await eventually(
        async () => ((await ids(db, 'outbox_events')).length === 1 ? true : undefined),
        10_000,
        'the old events to be pruned',
      );
      expect(await ids(db, 'outbox_events')).toEqual([recent]);
      expect(await ids(db, 'webhook_deliveries')).toEqual([recentDelivery]);
      const attempts = await query<{ delivery_id: string }>(
        db,
        'SELECT delivery_id FROM delivery_attempts',
      );
      expect(attempts.map((a) => a.delivery_id)).toEqual([recentDelivery]);

      const metrics = await t.request('GET', '/metrics', { headers: bearer(ADMIN_KEY) });
      expect(metrics.text).toContain('bank_sync_events_pruned_total{kind="delivery"} 1');
      expect(metrics.text).toContain('bank_sync_events_pruned_total{kind="event"} 2');
    } finally {
      await t.close();
    }
  });

  describe('what is kept, and batches (loop off, one tick at a time)', () => {
    let t: TestApp;
    let worker: RetentionWorker;

    beforeAll(async () => {
      t = await startTestApp({ WORKER_ENABLED: 'false', EVENTS_RETENTION_DAYS: '7' });
      worker = t.app.get(RetentionWorker);
    });
    afterAll(() => t.close());

    it('never deletes an event not yet relayed, a pending delivery or its event, or anything inside the retention', async () => {
      const db = t.databaseUrl;
      const sub = await subscription(db);
      const unrelayed = await event(db, 60, false);
      const withPending = await event(db, 60);
      const pending = await delivery(db, sub, withPending, 'pending', 50);
      const retried = await event(db, 60);
      const retriedDelivery = await delivery(db, sub, retried, 'dead', 1, 3); // new window, closed 1 day ago
      const dead = await event(db, 60);
      await delivery(db, sub, dead, 'dead', 8, 5);
      const young = await event(db, 7.5); // inside 7 days + the 1-day retry window
      await event(db, 8.5);

      expect(await worker.prune()).toEqual({ deliveries: 1, events: 2 });
      expect(await ids(db, 'outbox_events')).toEqual(
        [unrelayed, withPending, retried, young].sort(),
      );
      expect(await ids(db, 'webhook_deliveries')).toEqual([pending, retriedDelivery].sort());
      const [{ n }] = await query<{ n: number }>(
        db,
        'SELECT count(*)::int AS n FROM delivery_attempts',
      );
      expect(n).toBe(3);
      expect(await worker.prune()).toEqual({ deliveries: 0, events: 0 });
    });

    it('deletes a large backlog in batches of 1 000', async () => {
      const db = t.databaseUrl;
      await relayedEvents(db, 1500, 9);
      // The loop goes on at once after a full batch and sleeps after a partial one.
      expect(await worker.tick()).toBe(1000);
      expect(await worker.prune()).toEqual({ deliveries: 0, events: 500 });
      expect(await worker.prune()).toEqual({ deliveries: 0, events: 0 });
      const before = (await ids(db, 'outbox_events')).length;
      await relayedEvents(db, 10, 9);
      // A partial batch is deleted too, and tells the loop it has caught up.
      expect(await worker.tick()).toBe(0);
      expect(await ids(db, 'outbox_events')).toHaveLength(before);
    });
  });

  it('two instances pruning at once share the work: each row deleted once, no error', async () => {
    const db = await createTestDatabase();
    const sub = await subscription(db);
    await query(
      db,
      `WITH ev AS (
         INSERT INTO outbox_events (id, type, payload, created_at, dispatched_at)
         SELECT gen_random_uuid(), 'invoice.paid', '{}', now() - 40 * ${DAY}, now() - 40 * ${DAY}
           FROM generate_series(1, 2500)
         RETURNING id)
       INSERT INTO webhook_deliveries (subscription_id, event_id, status, expires_at)
       SELECT $1, id, 'delivered', now() - 39 * ${DAY} FROM ev`,
      [sub],
    );
    const env = { WORKER_ENABLED: 'false' };
    const [a, b] = await Promise.all([startTestApp(env, db), startTestApp(env, db)]);
    try {
      const drain = async (w: RetentionWorker): Promise<{ deliveries: number; events: number }> => {
        const total = { deliveries: 0, events: 0 };
        for (;;) {
          const n = await w.prune();
          total.deliveries += n.deliveries;
          total.events += n.events;
          if (n.deliveries === 0 && n.events === 0) return total;
        }
      };
      const [x, y] = await Promise.all([
        drain(a.app.get(RetentionWorker)),
        drain(b.app.get(RetentionWorker)),
      ]);
      expect(x.deliveries + y.deliveries).toBe(2500);
      expect(x.events + y.events).toBe(2500);
      expect(await ids(db, 'outbox_events')).toEqual([]);
      expect(await ids(db, 'webhook_deliveries')).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('EVENTS_RETENTION_DAYS=0 keeps everything', async () => {
    const t = await startTestApp({ WORKER_ENABLED: 'false', EVENTS_RETENTION_DAYS: '0' });
    try {
      const old = await event(t.databaseUrl, 400);
      expect(await t.app.get(RetentionWorker).prune()).toEqual({ deliveries: 0, events: 0 });
      expect(await ids(t.databaseUrl, 'outbox_events')).toEqual([old]);
    } finally {
      await t.close();
    }
  });
});
