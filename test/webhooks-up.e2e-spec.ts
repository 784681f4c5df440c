import { ProcessingWorker } from '../src/transactions/processing.worker';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { startFakeBank, upEvent, upTransaction, type FakeBank } from './support/fake-bank';
import { eventually, hmacHex, lastByteFlipped } from './support/webhooks';

const UP_SECRET = 'up-webhook-secret-123';
const UP_TOKEN = 'up:yeah:token-abc';

describe('Up bank deliveries', () => {
  let t: TestApp;
  let up: FakeBank;
  const resources = new Map<string, unknown>();

  beforeAll(async () => {
    up = await startFakeBank((_req, url) => {
      const m = /^\/api\/v1\/transactions\/([^/]+)$/.exec(url.pathname);
      const id = m ? decodeURIComponent(m[1]) : '';
      const found = resources.get(id);
      // tx-slow-*: an Up API slower than the processing lease (lease renewal test).
      return found ? { json: found, delayMs: id.startsWith('tx-slow-') ? 500 : 0 } : undefined;
    });
    t = await startTestApp({
      PROCESSING_BACKOFF_MS: '50',
      PROCESSING_MAX_ATTEMPTS: '3',
      PROCESSING_LEASE_MS: '1500',
    });
    const created = await t.request('POST', '/banks', {
      headers: bearer(ADMIN_KEY),
      json: {
        id: 'up',
        name: 'Up',
        signature_scheme: 'up',
        secrets: [UP_SECRET],
        api: { kind: 'up', base_url: `${up.url}/api/v1`, token: UP_TOKEN },
      },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
    await up.close();
  });

  const deliver = (body: unknown, secret = UP_SECRET) => {
    const raw = JSON.stringify(body);
    return t.request('POST', '/webhooks/up/transactions', {
      headers: {
        'content-type': 'application/json',
        'x-up-authenticity-signature': hmacHex(secret, raw),
      },
      body: raw,
    });
  };
  const txByExternal = async (externalId: string) =>
    (
      await t.request('GET', `/transactions?bank=up&external_id=${externalId}`, {
        headers: bearer(ADMIN_KEY),
      })
    ).body.data[0];
  const waitFor = (externalId: string, status: string) =>
    eventually(
      async () => {
        const tx = await txByExternal(externalId);
        return tx?.status === status ? tx : undefined;
      },
      10_000,
      `${externalId} ${status}`,
    );

  it('acknowledges PING with 200 and stores no transaction', async () => {
    const res = await deliver(upEvent('ping-1', 'PING'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ok: true,
      event_id: 'ping-1',
      deduped: false,
      transaction_id: null,
    });
    const rows = await query(t.databaseUrl, `SELECT 1 FROM transactions WHERE bank_id = 'up'`);
    expect(rows).toHaveLength(0);
  });

  it('answers 400 (not 500) to ids PostgreSQL cannot store (NUL, unpaired surrogate)', async () => {
    expect((await deliver(upEvent('bad\u0000id', 'PING'))).status).toBe(400);
    expect((await deliver(upEvent('bad\ud800id', 'PING'))).status).toBe(400);
    const res = await deliver(upEvent('evt-nul', 'TRANSACTION_CREATED', 'tx\u0000nul'));
    expect(res.status).toBe(400);
  });

  it('answers 401 to a wrong Up signature', async () => {
    expect((await deliver(upEvent('ping-2', 'PING'), 'wrong-secret-123')).status).toBe(401);
  });

  it('answers 401 bad signature to the valid signature with its last byte flipped', async () => {
    const raw = JSON.stringify(upEvent('ping-last-byte', 'PING'));
    const signed = (signature: string) =>
      t.request('POST', '/webhooks/up/transactions', {
        headers: { 'content-type': 'application/json', 'x-up-authenticity-signature': signature },
        body: raw,
      });
    const res = await signed(lastByteFlipped(hmacHex(UP_SECRET, raw)));
    expect(res.status).toBe(401);
    expect(res.body.type).toBe('/problems/invalid-signature');
    expect(res.body.detail).toMatch(/\(bad signature\)/);
    expect((await signed(hmacHex(UP_SECRET, raw))).status).toBe(200);
  });

  it('fetches a created transaction from the Up API with the bank token and stores it', async () => {
    resources.set(
      'tx-1',
      upTransaction('tx-1', { value: '50.25', message: 'INV-001', status: 'SETTLED' }),
    );
    const res = await deliver(
      upEvent('evt-1', 'TRANSACTION_CREATED', 'tx-1', `${up.url}/api/v1/transactions/tx-1`),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event_id: 'evt-1', transaction_id: 'tx-1', deduped: false });
    const tx = await waitFor('tx-1', 'PROCESSED');
    expect(tx).toMatchObject({
      amount: '50.25',
      currency: 'AUD',
      direction: 'credit',
      reference: 'INV-001',
      bank_status: 'SETTLED',
    });
    expect(up.requests.find((r) => r.path === '/api/v1/transactions/tx-1')?.authorization).toBe(
      `Bearer ${UP_TOKEN}`,
    );

    const replay = await deliver(
      upEvent('evt-1', 'TRANSACTION_CREATED', 'tx-1', `${up.url}/api/v1/transactions/tx-1`),
    );
    expect(replay.status).toBe(200);
    expect(replay.body.deduped).toBe(true);
  });

  it('stores a HELD transaction as HELD, then updates it on TRANSACTION_SETTLED', async () => {
    resources.set('tx-held', upTransaction('tx-held', { value: '-12.00', status: 'HELD' }));
    await deliver(
      upEvent('evt-h1', 'TRANSACTION_CREATED', 'tx-held', `${up.url}/api/v1/transactions/tx-held`),
    );
    const held = await waitFor('tx-held', 'PROCESSED');
    expect(held).toMatchObject({ bank_status: 'HELD', direction: 'debit', amount: '12.00' });

    resources.set('tx-held', upTransaction('tx-held', { value: '-12.00', status: 'SETTLED' }));
    await deliver(
      upEvent('evt-h2', 'TRANSACTION_SETTLED', 'tx-held', `${up.url}/api/v1/transactions/tx-held`),
    );
    const settled = await eventually(async () => {
      const tx = await txByExternal('tx-held');
      return tx?.bank_status === 'SETTLED' && tx.status === 'PROCESSED' ? tx : undefined;
    });
    expect(settled.id).toBe(held.id);
    const count = await query(
      t.databaseUrl,
      `SELECT 1 FROM transactions WHERE external_id = 'tx-held'`,
    );
    expect(count).toHaveLength(1);
  });

  it('a hold that settles for a smaller amount takes the settled amount (it used to FAIL)', async () => {
    const link = `${up.url}/api/v1/transactions/tx-hold-tip`;
    resources.set('tx-hold-tip', upTransaction('tx-hold-tip', { value: '100.00', status: 'HELD' }));
    await deliver(upEvent('evt-ht1', 'TRANSACTION_CREATED', 'tx-hold-tip', link));
    expect(await waitFor('tx-hold-tip', 'PROCESSED')).toMatchObject({
      bank_status: 'HELD',
      amount: '100.00',
      unallocated_amount: '100.00',
    });
    resources.set(
      'tx-hold-tip',
      upTransaction('tx-hold-tip', { value: '80.00', status: 'SETTLED' }),
    );
    await deliver(upEvent('evt-ht2', 'TRANSACTION_SETTLED', 'tx-hold-tip', link));
    const settled = await eventually(async () => {
      const tx = await txByExternal('tx-hold-tip');
      return tx?.bank_status === 'SETTLED' && tx.status !== 'PENDING' ? tx : undefined;
    });
    expect(settled).toMatchObject({
      status: 'PROCESSED',
      amount: '80.00',
      unallocated_amount: '80.00',
      last_error: null,
    });
  });

  it('a matched transaction whose amount the bank changes: allocations reversed, matched afresh', async () => {
    const invoice = await t.request('POST', '/invoices', {
      headers: bearer(ADMIN_KEY),
      json: { invoice_number: 'INV-7071', amount_due: '50.00', currency: 'AUD' },
    });
    expect(invoice.status).toBe(201);
    const link = `${up.url}/api/v1/transactions/tx-amend`;
    resources.set(
      'tx-amend',
      upTransaction('tx-amend', { value: '50.00', message: 'INV-7071', status: 'SETTLED' }),
    );
    await deliver(upEvent('evt-am1', 'TRANSACTION_CREATED', 'tx-amend', link));
    const invoiceState = async () =>
      (await t.request('GET', `/invoices/${invoice.body.id}`, { headers: bearer(ADMIN_KEY) })).body;
    await eventually(async () => ((await invoiceState()).status === 'paid' ? true : undefined));

    resources.set(
      'tx-amend',
      upTransaction('tx-amend', { value: '30.00', message: 'INV-7071', status: 'SETTLED' }),
    );
    await deliver(upEvent('evt-am2', 'TRANSACTION_SETTLED', 'tx-amend', link));
    const after = await eventually(async () => {
      const inv = await invoiceState();
      return inv.status === 'partially_paid' ? inv : undefined;
    });
    expect(after.amount_paid).toBe('30.00');
    const reversed = after.allocations.filter((a: { reversed_at: string | null }) => a.reversed_at);
    expect(reversed).toHaveLength(1);
    expect(reversed[0]).toMatchObject({
      amount: '50.00',
      reversal_reason: 'amount changed by the bank',
    });
    expect(await txByExternal('tx-amend')).toMatchObject({
      amount: '30.00',
      unallocated_amount: '0.00',
      match_status: 'matched',
    });
  });

  it('a fetch claimed by a worker that then died is fetched again once its lease ends', async () => {
    resources.set('tx-lease', upTransaction('tx-lease', { value: '7.00', status: 'SETTLED' }));
    // As a claim leaves it: attempt spent, leased for a while, still PENDING, fetch not done.
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, needs_fetch, details_url, attempts,
                                 next_attempt_at)
       VALUES ('up', 'tx-lease', true, $1, 1, now() + interval '1500 milliseconds')
       RETURNING id`,
      [`${up.url}/api/v1/transactions/tx-lease`],
    );
    const before = up.requests.filter((r) => r.path.endsWith('/tx-lease')).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(up.requests.filter((r) => r.path.endsWith('/tx-lease')).length).toBe(before); // leased
    const tx = await waitFor('tx-lease', 'PROCESSED');
    expect(tx).toMatchObject({ id: row.id, amount: '7.00', attempts: 2 });
    expect(up.requests.filter((r) => r.path.endsWith('/tx-lease')).length).toBe(before + 1);
  });

  it('rows waiting in a slow batch keep their lease: another worker never fetches them too', async () => {
    // 40 fetches, 8 at a time, 500 ms each: the last groups start 1.5 s and more after the
    // claim, past the 1.5 s lease, unless the lease is renewed group by group (each group then
    // has the whole lease for its 0.5 s).
    const ids = Array.from({ length: 40 }, (_, i) => `tx-slow-${i}`);
    for (const id of ids)
      resources.set(id, upTransaction(id, { value: '1.00', status: 'SETTLED' }));
    await query(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, needs_fetch, details_url, next_attempt_at)
       SELECT 'up', id, true, $2 || id, now() + interval '1 hour' FROM unnest($1::text[]) AS id`,
      [ids, `${up.url}/api/v1/transactions/`],
    );
    await query(
      t.databaseUrl,
      `UPDATE transactions SET next_attempt_at = now() WHERE external_id = ANY($1)`,
      [ids],
    );
    const worker = t.app.get(ProcessingWorker);
    // A second worker (another instance) polling while the first works through its batch.
    const first = worker.tick();
    const others: Array<Promise<number>> = [];
    for (let waited = 0; waited < 3000; waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
      others.push(worker.tick());
    }
    await Promise.all([first, ...others]);
    for (const id of ids) await waitFor(id, 'PROCESSED');
    const fetched = up.requests.filter((r) => r.path.includes('/tx-slow-'));
    expect(fetched).toHaveLength(ids.length);
  }, 30_000);

  it('a run fetches stale holds again: a lost settlement is caught, a hold still held emits nothing', async () => {
    const settled = 'tx-lost-settle';
    const stillHeld = 'tx-still-held';
    for (const id of [settled, stillHeld]) {
      resources.set(id, upTransaction(id, { value: '30.00', status: 'HELD' }));
      await deliver(
        upEvent(`evt-${id}`, 'TRANSACTION_CREATED', id, `${up.url}/api/v1/transactions/${id}`),
      );
      await waitFor(id, 'PROCESSED');
    }
    // Settled at the bank, and its TRANSACTION_SETTLED webhook never arrives. Both were last
    // looked at over an hour ago.
    resources.set(settled, upTransaction(settled, { value: '25.00', status: 'SETTLED' }));
    await query(
      t.databaseUrl,
      `UPDATE transactions SET updated_at = now() - interval '2 hours'
        WHERE external_id = ANY($1)`,
      [[settled, stillHeld]],
    );
    const events = async (id: string) =>
      (
        await query(
          t.databaseUrl,
          `SELECT 1 FROM outbox_events
            WHERE type = 'transaction.processed' AND payload->>'external_id' = $1`,
          [id],
        )
      ).length;
    const heldEventsBefore = await events(stillHeld);
    const fetchesBefore = up.requests.filter((r) => r.path.endsWith(`/${stillHeld}`)).length;
    // The run's pull of this bank fails (the fake serves no list), the re-check does not.
    await t.request('POST', '/reconcile/run', { headers: bearer(ADMIN_KEY) });
    const done = await eventually(async () => {
      const tx = await txByExternal(settled);
      return tx?.bank_status === 'SETTLED' && tx.status === 'PROCESSED' ? tx : undefined;
    });
    expect(done).toMatchObject({ amount: '25.00', unallocated_amount: '25.00' });
    await eventually(async () =>
      up.requests.filter((r) => r.path.endsWith(`/${stillHeld}`)).length > fetchesBefore &&
      (await txByExternal(stillHeld))?.status === 'PROCESSED'
        ? true
        : undefined,
    );
    expect(await txByExternal(stillHeld)).toMatchObject({ bank_status: 'HELD', amount: '30.00' });
    expect(await events(stillHeld)).toBe(heldEventsBefore);
  });

  it('voids a transaction on TRANSACTION_DELETED and never revives it', async () => {
    resources.set('tx-del', upTransaction('tx-del', { status: 'HELD' }));
    await deliver(
      upEvent('evt-d1', 'TRANSACTION_CREATED', 'tx-del', `${up.url}/api/v1/transactions/tx-del`),
    );
    await waitFor('tx-del', 'PROCESSED');
    const res = await deliver(upEvent('evt-d2', 'TRANSACTION_DELETED', 'tx-del'));
    expect(res.status).toBe(200);
    await waitFor('tx-del', 'VOIDED');
    await deliver(
      upEvent('evt-d3', 'TRANSACTION_SETTLED', 'tx-del', `${up.url}/api/v1/transactions/tx-del`),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await txByExternal('tx-del')).status).toBe('VOIDED');
  });

  it('never requests a link outside the bank base_url: the transaction FAILS with a clear error', async () => {
    const before = up.requests.length;
    const res = await deliver(
      upEvent(
        'evt-evil',
        'TRANSACTION_CREATED',
        'tx-evil',
        'http://169.254.169.254/latest/meta-data',
      ),
    );
    expect(res.status).toBe(200);
    const failed = await waitFor('tx-evil', 'FAILED');
    expect(failed.last_error).toMatch(/outside the bank's base_url/);
    expect(up.requests.slice(before).some((r) => r.path.includes('tx-evil'))).toBe(false);
  });

  it('retries with backoff, marks FAILED after the last attempt, and re-queues on POST retry', async () => {
    const res = await deliver(
      upEvent(
        'evt-missing',
        'TRANSACTION_CREATED',
        'tx-missing',
        `${up.url}/api/v1/transactions/tx-missing`,
      ),
    );
    expect(res.status).toBe(200);
    resources.delete('tx-missing');
    // Up answers 404 (not retryable): FAILED at once with the reason.
    const failed = await waitFor('tx-missing', 'FAILED');
    expect(failed.last_error).toMatch(/404/);

    resources.set('tx-missing', upTransaction('tx-missing'));
    const viewer = await t.request('POST', '/api-keys', {
      headers: bearer(ADMIN_KEY),
      json: { name: 'v', role: 'viewer' },
    });
    expect(
      (
        await t.request('POST', `/transactions/${failed.id}/retry`, {
          headers: bearer(viewer.body.key),
        })
      ).status,
    ).toBe(403);
    const retried = await t.request('POST', `/transactions/${failed.id}/retry`, {
      headers: bearer(ADMIN_KEY),
    });
    expect(retried.status).toBe(200);
    await waitFor('tx-missing', 'PROCESSED');
    const again = await t.request('POST', `/transactions/${failed.id}/retry`, {
      headers: bearer(ADMIN_KEY),
    });
    expect(again.status).toBe(409);
  });

  it('retries a 5xx from the bank API with backoff until it answers', async () => {
    let calls = 0;
    up.handle((_req, url) => {
      if (url.pathname.endsWith('/tx-flaky') && ++calls < 3) return { status: 503, json: {} };
      return url.pathname.endsWith('/tx-flaky') ? { json: upTransaction('tx-flaky') } : undefined;
    });
    await deliver(
      upEvent(
        'evt-flaky',
        'TRANSACTION_CREATED',
        'tx-flaky',
        `${up.url}/api/v1/transactions/tx-flaky`,
      ),
    );
    const tx = await waitFor('tx-flaky', 'PROCESSED');
    expect(tx.attempts).toBe(3);
  });
});
