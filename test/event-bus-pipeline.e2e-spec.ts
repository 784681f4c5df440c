import { Client } from 'pg';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { readStream, startNats, type NatsServer } from './support/nats';
import { startNatsProxy, type NatsProxy } from './support/nats-proxy';
import { eventually } from './support/webhooks';

/** The relay's batch (one FETCH) and the bus sink's window of unacknowledged publishes. */
const BATCH = 500;
const WINDOW = 500;

interface Row extends Record<string, unknown> {
  id: string;
  aggregateid: string;
  dispatched: boolean;
}

/**
 * Commits one event per entry of `aggregates` into the outbox in one statement, in that order
 * (so in that `seq` order): an aggregate's first event is `transaction.received`, its next
 * `transaction.processed`. Returns the events' ids in order.
 */
async function fill(t: TestApp, aggregates: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const types = aggregates.map((a) =>
    seen.has(a) ? 'transaction.processed' : (seen.add(a), 'transaction.received'),
  );
  const rows = await query<{ id: string }>(
    t.databaseUrl,
    `WITH ins AS (
       INSERT INTO outbox_events (id, type, payload)
       SELECT gen_random_uuid(), u.type, jsonb_build_object('id', u.aggregate)
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(aggregate, type, n)
        ORDER BY u.n
       RETURNING id, seq)
     SELECT id FROM ins ORDER BY seq`,
    [aggregates, types],
  );
  return rows.map((r) => r.id);
}

const outbox = (t: TestApp): Promise<Row[]> =>
  query<Row>(
    t.databaseUrl,
    `SELECT id, aggregateid, dispatched_at IS NOT NULL AS dispatched FROM outbox_events ORDER BY seq`,
  );

/** Each outbox event exactly once in the stream, each aggregate's events in commit order. */
async function expectStreamInOrder(t: TestApp, nats: NatsServer): Promise<void> {
  const { rows, bus } = await eventually(
    async () => {
      const all = await outbox(t);
      if (all.some((r) => !r.dispatched)) return undefined;
      const stream = await readStream(nats.url);
      return stream.length >= all.length ? { rows: all, bus: stream } : undefined;
    },
    30_000,
    'every event relayed to the stream',
  );
  const ids = bus.map((m) => m.msgId);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(rows.map((r) => r.id).sort());
  const perAggregate = (events: Array<{ id: string; aggregateid: string }>) => {
    const order = new Map<string, string[]>();
    for (const e of events) order.set(e.aggregateid, [...(order.get(e.aggregateid) ?? []), e.id]);
    return order;
  };
  const aggregateOf = new Map(rows.map((r) => [r.id, r.aggregateid]));
  expect(
    perAggregate(bus.map((m) => ({ id: m.msgId!, aggregateid: aggregateOf.get(m.msgId!)! }))),
  ).toEqual(perAggregate(rows));
}

async function duplicatesDropped(t: TestApp): Promise<number> {
  const metrics = await t.request('GET', '/metrics', { headers: bearer(ADMIN_KEY) });
  return Number(
    /bank_sync_event_bus_published_total\{outcome="duplicate"\} (\d+)/.exec(metrics.text)?.[1],
  );
}

/**
 * The relay hands its next batch to the bus while the previous one's acknowledgements are
 * still coming back, in one transaction. A proxy between the service and nats-server holds the
 * acknowledgements back, so what the relay sends meanwhile can be seen.
 */
describe('event bus: batches pipelined in one relay transaction', () => {
  let nats: NatsServer;
  let proxy: NatsProxy;
  let t: TestApp;

  beforeAll(async () => {
    nats = await startNats();
    proxy = await startNatsProxy(nats.port);
    t = await startTestApp({
      EVENTS_NATS_URL: proxy.url,
      // The acknowledgements the proxy holds back must not time out meanwhile.
      EVENTS_NATS_TIMEOUT_MS: '15000',
      BACKGROUND_POLL_MS: '100',
    });
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await nats?.dispose();
  });

  it("claims the next batch before the first is acknowledged, and keeps an aggregate's events in order across the two", async () => {
    // Batch 1: 249 transactions with both events, one with its first event only ("single"),
    // and the first event of "split", whose second event opens batch 2; then 250 more pairs.
    const pairs = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => [`pair-${from + i}`, `pair-${from + i}`]).flat();
    const aggregates = [...pairs(0, 249), 'single', 'split', 'split', ...pairs(249, 250)];
    expect(aggregates.indexOf('split')).toBe(BATCH - 1);
    proxy.hold();
    const ids = await fill(t, aggregates);
    const [splitFirst, splitSecond] = [ids[BATCH - 1], ids[BATCH]];
    const inBatch2 = new Set(ids.slice(BATCH));

    // With nothing acknowledged: batch 1's first events (251) and batch 2's (249, split's second
    // one not among them) fill the window. Only a relay that claimed batch 2 while batch 1 was
    // unacknowledged can have sent any of batch 2.
    const sent = await eventually(
      async () => (proxy.log.length >= WINDOW ? proxy.log.map((e) => e.msgId) : undefined),
      15_000,
      `${WINDOW} publishes awaiting acknowledgement`,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.log).toHaveLength(WINDOW);
    expect(proxy.log.every((e) => e.kind === 'pub')).toBe(true);
    expect(sent.filter((id) => inBatch2.has(id))).toHaveLength(249);
    expect(sent).toContain(splitFirst);
    expect(sent).not.toContain(splitSecond);
    expect((await outbox(t)).some((r) => r.dispatched)).toBe(false);

    proxy.release();
    await expectStreamInOrder(t, nats);
    // On the wire: every aggregate's next event only after its previous one was acknowledged.
    const at = (kind: 'pub' | 'ack', id: string) =>
      proxy.log.findIndex((e) => e.kind === kind && e.msgId === id);
    expect(at('pub', splitSecond)).toBeGreaterThan(at('ack', splitFirst));
    const byAggregate = new Map<string, string[]>();
    ids.forEach((id, i) =>
      byAggregate.set(aggregates[i], [...(byAggregate.get(aggregates[i]) ?? []), id]),
    );
    const early = [...byAggregate.values()]
      .filter((e) => e.length === 2)
      .filter(([first, second]) => at('pub', second) < at('ack', first));
    expect(early).toEqual([]);
  }, 60_000);

  it('a relay transaction of two batches whose connection dies once the stream has all of it is published again whole, and the stream drops the copies', async () => {
    const before = await duplicatesDropped(t);
    const logFrom = proxy.log.length;
    // Hold the acknowledgements until the relay is in its transaction, then let all of them
    // through but the last event's: the stream has every event, the relay has not committed.
    proxy.hold();
    const ids = await fill(
      t,
      Array.from({ length: 2 * BATCH }, (_, i) => `crash-${i % 600}`),
    );
    const last = ids[ids.length - 1];
    await eventually(
      async () => (proxy.log.length - logFrom >= WINDOW ? true : undefined),
      15_000,
      'the relay publishing',
    );
    const observer = new Client({ connectionString: t.databaseUrl });
    await observer.connect();
    try {
      proxy.release(last);
      const seen = (kind: 'pub' | 'ack') =>
        new Set(
          proxy.log
            .slice(logFrom)
            .filter((e) => e.kind === kind)
            .map((e) => e.msgId),
        );
      await eventually(
        async () =>
          seen('pub').has(last) && ids.every((id) => id === last || seen('ack').has(id))
            ? true
            : undefined,
        20_000,
        'every event published and all but the last acknowledged',
      );
      // The relay's transaction: it marked both batches and waits for the last acknowledgement.
      const [relay] = await eventually(async () => {
        const open = await observer.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity
            WHERE state = 'idle in transaction' AND backend_xid IS NOT NULL
              AND (query LIKE 'FETCH FORWARD%' OR query LIKE 'UPDATE outbox_events SET dispatched_at%')`,
        );
        return open.rows.length > 0 ? open.rows : undefined;
      });
      const mine = new Set(ids);
      expect((await outbox(t)).filter((r) => mine.has(r.id) && r.dispatched)).toEqual([]);
      // As a crash before the commit would: the transaction never commits.
      await observer.query('SELECT pg_terminate_backend($1)', [relay.pid]);
    } finally {
      proxy.release();
      await observer.end();
    }

    await expectStreamInOrder(t, nats);
    // Both batches went out again; the stream stored none of them twice.
    expect((await duplicatesDropped(t)) - before).toBe(ids.length);
  }, 60_000);
});
