import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { startReceiver, type Receiver } from './support/receiver';
import { eventually, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const admin = bearer(ADMIN_KEY);
const ENV = {
  WEBHOOK_SECRET,
  ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true',
  EVENTS_RETRY_BASE_MS: '50',
  EVENTS_TIMEOUT_MS: '1000',
};

async function subscribe(
  t: TestApp,
  receiver: Receiver,
  events: string[],
): Promise<{ id: string; secret: string }> {
  const res = await t.request('POST', '/subscriptions', {
    headers: admin,
    json: { url: receiver.url, events },
  });
  expect(res.status).toBe(201);
  expect(res.body.secret).toMatch(/^whsec_/);
  receiver.secrets.push(res.body.secret);
  return { id: res.body.id, secret: res.body.secret };
}

describe('downstream events: outbox and signed outbound webhooks', () => {
  let t: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    t = await startTestApp(ENV);
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('delivers invoice.paid once, validly signed, when a webhook pays the invoice; filters hold', async () => {
    const sub = await subscribe(t, receiver, ['invoice.paid', 'transaction.received']);
    const inv = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: 'INV-EV1', amount_due: '5000.00', currency: 'NGN' },
    });
    const raw = JSON.stringify(seedBody({ transaction_id: 'ev_tx_1', reference: 'INV-EV1' }));
    expect((await sendSigned(t, raw, 'ev_evt_1')).status).toBe(202);

    const paid = await eventually(async () =>
      receiver.received.find((e) => e.type === 'invoice.paid'),
    );
    const invoiceNow = (await t.request('GET', `/invoices/${inv.body.id}`, { headers: admin }))
      .body;
    const { allocations: _allocations, ...invoiceShape } = invoiceNow;
    expect(paid.data).toEqual(invoiceShape);
    expect(paid.headers['webhook-id']).toBe(paid.id);

    const received = await eventually(async () =>
      receiver.received.find((e) => e.type === 'transaction.received'),
    );
    expect(received.data).toMatchObject({
      external_id: 'ev_tx_1',
      amount: '5000.00',
      currency: 'NGN',
      status: 'PENDING',
    });
    await new Promise((r) => setTimeout(r, 600));
    // Subscribed to two types only; each event exactly once.
    expect(new Set(receiver.received.map((e) => e.type))).toEqual(
      new Set(['invoice.paid', 'transaction.received']),
    );
    const ids = receiver.received.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(receiver.rejected).toBe(0);

    // A receiver has an event before the worker records its 200: wait until none is pending.
    const deliveries = await eventually(async () => {
      const res = await t.request('GET', `/subscriptions/${sub.id}/deliveries`, { headers: admin });
      return res.body.data.some((d: { status: string }) => d.status === 'pending')
        ? undefined
        : res;
    });
    expect(deliveries.body.data.every((d: { status: string }) => d.status === 'delivered')).toBe(
      true,
    );
    expect(deliveries.body.data[0].attempt_log[0]).toMatchObject({ response_status: 200 });
  });

  it('writes transaction.processed with the API shape of the transaction, in the same commit', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'ev_tx_2', reference: 'nothing' }));
    await sendSigned(t, raw, 'ev_evt_2');
    const [event] = await eventually(async () => {
      const rows = await query<{ data: Record<string, unknown> }>(
        t.databaseUrl,
        `SELECT payload AS data FROM outbox_events WHERE type = 'transaction.processed' AND payload->>'external_id' = 'ev_tx_2'`,
      );
      return rows.length ? rows : undefined;
    });
    const api = (
      await t.request('GET', `/transactions/${event.data.id as string}`, { headers: admin })
    ).body;
    expect(event.data).toEqual({
      ...api,
      match_status: event.data.match_status,
      unallocated_amount: api.amount,
    });
    // No event without its change: a rejected delivery writes none.
    const before = await query<{ n: string }>(
      t.databaseUrl,
      `SELECT count(*) AS n FROM outbox_events`,
    );
    await sendSigned(t, raw, 'ev_evt_bad', { secret: 'wrong-secret-123' });
    const after = await query<{ n: string }>(
      t.databaseUrl,
      `SELECT count(*) AS n FROM outbox_events`,
    );
    expect(after[0].n).toBe(before[0].n);
  });

  it('retries a receiver that answers 500 three times, delivering on the fourth try', async () => {
    const flaky = await startReceiver();
    try {
      let calls = 0;
      flaky.respond = () => (++calls <= 3 ? 500 : 200);
      const sub = await subscribe(t, flaky, ['reconciliation.run_finished']);
      const run = await t.request('POST', '/reconcile/run', { headers: admin });
      const got = await eventually(async () =>
        flaky.received.find((e) => e.type === 'reconciliation.run_finished'),
      );
      expect(got.data).toMatchObject({
        id: run.body.id,
        status: run.body.status,
        trigger: 'manual',
      });
      expect(calls).toBe(4);
      // The receiver has the event before the worker records the 200: wait for the record.
      const d = await eventually(async () => {
        const res = await t.request('GET', `/subscriptions/${sub.id}/deliveries`, {
          headers: admin,
        });
        const first = res.body.data[0];
        return first?.status === 'pending' ? undefined : first;
      });
      expect(d).toMatchObject({ status: 'delivered', attempts: 4 });
      expect(d.attempt_log.map((a: { response_status: number }) => a.response_status)).toEqual([
        500, 500, 500, 200,
      ]);
    } finally {
      await flaky.close();
    }
  });

  it('a disabled subscription is not retried; enabled again, its pending deliveries resume', async () => {
    const down = await startReceiver();
    try {
      let calls = 0;
      let answer = 500;
      down.respond = () => {
        calls++;
        return answer;
      };
      const sub = await subscribe(t, down, ['reconciliation.run_finished']);
      await t.request('POST', '/reconcile/run', { headers: admin });
      await eventually(async () => (calls >= 2 ? true : undefined));
      const off = await t.request('PATCH', `/subscriptions/${sub.id}`, {
        headers: admin,
        json: { enabled: false },
      });
      expect(off.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1000)); // an attempt already in flight lands
      const atDisable = calls;
      await new Promise((r) => setTimeout(r, 1000)); // many retry intervals of 50 ms and more
      expect(calls).toBe(atDisable);
      answer = 200;
      await t.request('PATCH', `/subscriptions/${sub.id}`, {
        headers: admin,
        json: { enabled: true },
      });
      const delivered = await eventually(async () => {
        const res = await t.request('GET', `/subscriptions/${sub.id}/deliveries`, {
          headers: admin,
        });
        return res.body.data[0]?.status === 'delivered' ? res.body.data[0] : undefined;
      }, 10_000);
      expect(delivered.attempts).toBe(atDisable + 1);
    } finally {
      await down.close();
    }
  }, 20_000);

  it('never shows a secret after creation; rotation keeps the old secret signing during the overlap', async () => {
    const r = await startReceiver();
    try {
      const sub = await subscribe(t, r, ['reconciliation.run_finished']);
      const one = await t.request('GET', `/subscriptions/${sub.id}`, { headers: admin });
      const list = await t.request('GET', '/subscriptions', { headers: admin });
      for (const res of [one, list]) expect(res.text).not.toContain(sub.secret);
      const rotated = await t.request('POST', `/subscriptions/${sub.id}/rotate-secret`, {
        headers: admin,
        json: {},
      });
      expect(rotated.status).toBe(201);
      expect(rotated.body.active_secrets).toBe(2);
      // The receiver still only knows the old secret: deliveries carry both signatures.
      await t.request('POST', '/reconcile/run', { headers: admin });
      await eventually(async () =>
        r.received.find((e) => e.type === 'reconciliation.run_finished'),
      );
      expect(r.rejected).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('refuses non-http(s) URLs', async () => {
    const res = await t.request('POST', '/subscriptions', {
      headers: admin,
      json: { url: 'ftp://example.com/x', events: ['invoice.paid'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('url');
  });
});

describe('outbound webhooks: private URLs and outages', () => {
  it('refuses loopback and private subscriber URLs unless allowed', async () => {
    const t = await startTestApp({ WEBHOOK_SECRET });
    try {
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://10.0.0.1/x',
        'http://169.254.169.254/latest',
        'http://[::1]/x',
      ]) {
        const res = await t.request('POST', '/subscriptions', {
          headers: admin,
          json: { url, events: ['invoice.paid'] },
        });
        expect(res.status).toBe(400);
      }
    } finally {
      await t.close();
    }
  });

  it('delivers every event to a receiver that was down until after a restart', async () => {
    const t1 = await startTestApp(ENV);
    const receiver = await startReceiver();
    const port = receiver.port;
    const { secret } = await subscribe(t1, receiver, ['transaction.received']);
    await receiver.close(); // down
    for (let i = 0; i < 5; i++) {
      await sendSigned(
        t1,
        JSON.stringify(seedBody({ transaction_id: `down_${i}` })),
        `down_evt_${i}`,
      );
    }
    await eventually(async () => {
      const rows = await query<{ n: string }>(
        t1.databaseUrl,
        `SELECT count(*) AS n FROM delivery_attempts WHERE error IS NOT NULL`,
      );
      return Number(rows[0].n) >= 5 ? true : undefined;
    });
    // A delivery leased by a worker that died mid-delivery (like kill -9): claimed, never finished.
    await query(
      t1.databaseUrl,
      `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = now() + interval '1 second' WHERE status = 'pending'`,
    );
    await t1.close();
    const back = await startReceiver(port);
    back.secrets.push(secret);
    const t2 = await startTestApp(ENV, t1.databaseUrl);
    try {
      await eventually(
        async () => (back.received.length >= 5 ? true : undefined),
        15_000,
        'five events',
      );
      expect(back.received.map((e) => e.data.external_id).sort()).toEqual([
        'down_0',
        'down_1',
        'down_2',
        'down_3',
        'down_4',
      ]);
    } finally {
      await t2.close();
      await back.close();
    }
  }, 30_000);
});
