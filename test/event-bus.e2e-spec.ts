import { JetStreamSink } from '../src/events/jetstream.sink';
import type { OutboxEvent } from '../src/events/event-sink';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import {
  readStream,
  startNats,
  streamExists,
  type BusMessage,
  type NatsServer,
} from './support/nats';
import { eventually, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const admin = bearer(ADMIN_KEY);

interface Row extends Record<string, unknown> {
  id: string;
  type: string;
  aggregateid: string;
  payload: Record<string, unknown>;
  dispatched: boolean;
}

const outbox = (t: TestApp): Promise<Row[]> =>
  query<Row>(
    t.databaseUrl,
    `SELECT id, type, aggregateid, payload, dispatched_at IS NOT NULL AS dispatched
       FROM outbox_events ORDER BY seq`,
  );

/** Waits until every outbox event is relayed and the stream holds as many messages. */
async function settled(t: TestApp, nats: NatsServer): Promise<{ rows: Row[]; bus: BusMessage[] }> {
  return eventually(
    async () => {
      const rows = await outbox(t);
      if (rows.length === 0 || rows.some((r) => !r.dispatched)) return undefined;
      const bus = await readStream(nats.url);
      return bus.length >= rows.length ? { rows, bus } : undefined;
    },
    20_000,
    'every event relayed to the stream',
  );
}

/** Each outbox event exactly once in the stream; each aggregate's events in commit order. */
function expectExactlyOnceInOrder(rows: Row[], bus: BusMessage[]): void {
  expect(bus.map((m) => m.msgId).sort()).toEqual(rows.map((r) => r.id).sort());
  expect(bus.every((m) => m.msgId === m.body.id)).toBe(true);
  const byAggregate = (ids: Array<{ id: string; aggregateid: string }>) => {
    const order = new Map<string, string[]>();
    for (const { id, aggregateid } of ids)
      order.set(aggregateid, [...(order.get(aggregateid) ?? []), id]);
    return order;
  };
  const aggregateOf = new Map(rows.map((r) => [r.id, r.aggregateid]));
  expect(
    byAggregate(bus.map((m) => ({ id: m.body.id, aggregateid: aggregateOf.get(m.body.id)! }))),
  ).toEqual(byAggregate(rows));
}

async function payInvoice(t: TestApp, n: string): Promise<void> {
  const inv = await t.request('POST', '/invoices', {
    headers: admin,
    json: { invoice_number: `INV-BUS-${n}`, amount_due: '5000.00', currency: 'NGN' },
  });
  expect(inv.status).toBe(201);
  const raw = JSON.stringify(
    seedBody({ transaction_id: `bus_tx_${n}`, reference: `INV-BUS-${n}` }),
  );
  expect((await sendSigned(t, raw, `bus_evt_${n}`)).status).toBe(202);
}

describe('event bus: NATS JetStream', () => {
  let nats: NatsServer;
  let t: TestApp;

  beforeAll(async () => {
    nats = await startNats();
    t = await startTestApp({
      WEBHOOK_SECRET,
      EVENTS_NATS_URL: nats.url,
      EVENTS_NATS_TIMEOUT_MS: '500',
      BACKGROUND_POLL_MS: '100',
    });
  });
  afterAll(async () => {
    await t?.close();
    await nats?.dispose();
  });

  it('creates the stream and publishes every event once, on bank_sync.<type>, Nats-Msg-Id = event id', async () => {
    expect(await streamExists(nats.url)).toBe(false);
    await payInvoice(t, '1');
    await eventually(async () =>
      (await outbox(t)).some((r) => r.type === 'invoice.paid') ? true : undefined,
    );
    const { rows, bus } = await settled(t, nats);
    expect(rows.map((r) => r.type)).toEqual(
      expect.arrayContaining(['transaction.received', 'transaction.processed', 'invoice.paid']),
    );
    expectExactlyOnceInOrder(rows, bus);
    for (const m of bus) {
      const row = rows.find((r) => r.id === m.msgId)!;
      expect(m.subject).toBe(`bank_sync.${row.type}`);
      // The body a webhook subscriber gets: money as decimal strings, the API's shapes.
      expect(m.body).toEqual({
        id: row.id,
        type: row.type,
        occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        data: row.payload,
      });
    }
    const paid = bus.find((m) => m.body.type === 'invoice.paid')!;
    expect(paid.body.data).toMatchObject({ amount_paid: '5000.00', status: 'paid' });

    const ready = await t.request('GET', '/health/ready');
    expect([ready.status, ready.body.ok, ready.body.event_bus]).toEqual([200, true, 'up']);
    const metrics = await t.request('GET', '/metrics', { headers: admin });
    expect(metrics.text).toMatch(
      new RegExp(`bank_sync_event_bus_published_total\\{outcome="stored"\\} ${bus.length}\\b`),
    );
  });

  it('a batch published again (a crash before the relay committed) is stored once', async () => {
    const before = await readStream(nats.url);
    const rows = await outbox(t);
    const again: OutboxEvent[] = (
      await query<OutboxEvent & Record<string, unknown>>(
        t.databaseUrl,
        `SELECT id, type, aggregateid, payload::text AS data, created_at FROM outbox_events ORDER BY seq`,
      )
    ).map((e) => ({ ...e, created_at: new Date(e.created_at) }));
    const sink = t.app.get(JetStreamSink);
    await sink.open().take(again);
    const after = await readStream(nats.url);
    expect(after).toEqual(before);
    expect(again).toHaveLength(rows.length);
    const metrics = await t.request('GET', '/metrics', { headers: admin });
    expect(metrics.text).toMatch(
      new RegExp(`bank_sync_event_bus_published_total\\{outcome="duplicate"\\} ${rows.length}\\b`),
    );
  });

  it('a broker down holds the relay (events wait in the outbox), never the intake; back, all arrive once', async () => {
    await nats.stop();
    for (const n of ['2', '3', '4']) await payInvoice(t, n);
    // Processed while the bus is away: the intake and the worker do not need it.
    await eventually(async () => {
      const res = await t.request('GET', '/transactions?external_id=bus_tx_4', { headers: admin });
      return res.body.data?.[0]?.match_status === 'matched' ? true : undefined;
    });
    const ready = await t.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ok: true, database: 'up', event_bus: 'down' });
    expect(ready.body.detail).toMatch(/event bus unreachable/);
    expect(ready.body.detail).not.toContain(nats.url);
    const waiting = (await outbox(t)).filter((r) => !r.dispatched);
    expect(waiting.length).toBeGreaterThanOrEqual(9);
    await eventually(async () => {
      const metrics = await t.request('GET', '/metrics', { headers: admin });
      return /bank_sync_event_bus_failures_total [1-9]/.test(metrics.text) ? true : undefined;
    });

    await nats.start();
    const { rows, bus } = await settled(t, nats);
    expectExactlyOnceInOrder(rows, bus);
    const ok = await t.request('GET', '/health/ready');
    expect(ok.body.event_bus).toBe('up');
  }, 40_000);
});
