import { createHash } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ProcessingWorker } from '../src/transactions/processing.worker';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { hmacHex, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const sha256Hex = (bytes: string | Buffer): string =>
  createHash('sha256').update(bytes).digest('hex');

interface EventItem {
  id: string;
  bank_id: string;
  event_id: string;
  outcome: string;
  transaction_id: string | null;
  headers: Record<string, string>;
}

/**
 * Raw events (issue 18): the stored deliveries, their exact bytes, and replay. The worker is off
 * and ticked by hand, so every step's state can be looked at before the next one runs.
 */
describe('webhook events: list, exact bytes, replay', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);
  const keys: Record<'viewer' | 'operator', Record<string, string>> = { viewer: {}, operator: {} };
  const stdSecret = 'whsec_' + Buffer.from('a-very-secret-key-of-32-bytes!!!').toString('base64');
  const macSecret = 'acme-mac-secret-0123456789';

  const tick = () => t.app.get(ProcessingWorker).tick();
  const events = async (path = ''): Promise<EventItem[]> => {
    const res = await t.request('GET', `/webhook-events${path}`, { headers: keys.viewer });
    expect(res.status).toBe(200);
    return res.body.data as EventItem[];
  };
  const eventOf = async (eventId: string): Promise<EventItem> => {
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `SELECT id FROM webhook_events WHERE event_id = $1`,
      [eventId],
    );
    const res = await t.request('GET', `/webhook-events/${row.id}`, { headers: keys.viewer });
    expect(res.status).toBe(200);
    return res.body as EventItem;
  };
  const replay = (id: string, key = keys.operator) =>
    t.request('POST', `/webhook-events/${id}/replay`, { headers: key });
  const counts = async () =>
    (
      await query<{ events: number; txs: number; outbox: number }>(
        t.databaseUrl,
        `SELECT (SELECT count(*)::int FROM webhook_events) AS events,
                (SELECT count(*)::int FROM transactions) AS txs,
                (SELECT count(*)::int FROM outbox_events) AS outbox`,
      )
    )[0];

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET, WORKER_ENABLED: 'false' });
    for (const role of ['viewer', 'operator'] as const) {
      const res = await t.request('POST', '/api-keys', {
        headers: admin,
        json: { name: `events-${role}`, role },
      });
      expect(res.status).toBe(201);
      keys[role] = bearer(res.body.key as string);
    }
    for (const bank of [
      { id: 'stdbank', name: 'Std', signature_scheme: 'standard-webhooks', secrets: [stdSecret] },
      {
        id: 'acme',
        name: 'Acme',
        signature_scheme: 'hmac-sha256',
        secrets: [macSecret],
        event_id_header: 'X-Acme-Delivery',
        signature_header: 'X-Acme-Mac',
      },
    ]) {
      expect((await t.request('POST', '/banks', { headers: admin, json: bank })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the exact bytes: odd spacing, escapes, non-ASCII text and key order kept', async () => {
    const raw =
      '{ "occurred_at":"2026-02-27T12:00:00Z",\n\t"transaction_id" : "txn_bytes",' +
      '"currency":"NGN","amount":  5000.50 ,"description":"Caf\u00e9 \u20ac \ud83d\udcb8 \\u00e9",' +
      '"reference":"INV-BYTES"  }\r\n';
    const res = await sendSigned(t, raw, 'evt_bytes');
    expect(res.status).toBe(202);
    const listed = (await events()).find((e) => e.event_id === 'evt_bytes');
    expect(listed).toMatchObject({ bank_id: 'default', outcome: 'created' });
    const detail = await t.request('GET', `/webhook-events/${listed!.id}`, {
      headers: keys.viewer,
    });
    expect(detail.status).toBe(200);
    expect(detail.body.body).toBe(raw);
    expect(Buffer.from(detail.body.body_base64, 'base64').equals(Buffer.from(raw, 'utf8'))).toBe(
      true,
    );
    expect(detail.body.body_sha256).toBe(sha256Hex(raw));
    expect(sha256Hex(Buffer.from(detail.body.body_base64, 'base64'))).toBe(sha256Hex(raw));
    expect(detail.body.transaction_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(detail.body.external_transaction_id).toBe('txn_bytes');
  });

  it('bytes that are not UTF-8: body null rather than a lossy text, body_base64 exact', async () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x7d]);
    await query(
      t.databaseUrl,
      `INSERT INTO webhook_events (bank_id, event_id, body, body_sha256, headers)
       VALUES ('default', 'evt_binary', $1, sha256($1), '{}')`,
      [bytes],
    );
    const event = (await eventOf('evt_binary')) as EventItem & Record<string, unknown>;
    expect(event.body).toBeNull();
    expect(Buffer.from(event.body_base64 as string, 'base64').equals(bytes)).toBe(true);
    expect(event.body_sha256).toBe(sha256Hex(bytes));
    // Nothing can be normalized from them: a replay changes nothing.
    const res = await replay(event.id);
    expect(res.status).toBe(422);
    await query(t.databaseUrl, `DELETE FROM webhook_events WHERE event_id = 'evt_binary'`);
  });

  it('never shows a signature: seed, standard-webhooks and a bank-named signature header', async () => {
    const seedRaw = JSON.stringify(seedBody({ transaction_id: 'txn_sig_seed' }));
    const seedSignature = hmacHex(WEBHOOK_SECRET, seedRaw);
    expect((await sendSigned(t, seedRaw, 'evt_sig_seed')).status).toBe(202);

    const stdRaw = JSON.stringify(seedBody({ transaction_id: 'txn_sig_std' }));
    const at = new Date();
    const stdSignature = new Webhook(stdSecret).sign('evt_sig_std', at, stdRaw);
    const std = await t.request('POST', '/webhooks/stdbank/transactions', {
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'evt_sig_std',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': stdSignature,
      },
      body: stdRaw,
    });
    expect(std.status).toBe(202);

    const macRaw = JSON.stringify(seedBody({ transaction_id: 'txn_sig_mac' }));
    const macSignature = hmacHex(macSecret, macRaw);
    const mac = await t.request('POST', '/webhooks/acme/transactions', {
      headers: {
        'content-type': 'application/json',
        'x-acme-delivery': 'evt_sig_mac',
        'x-acme-mac': macSignature,
      },
      body: macRaw,
    });
    expect(mac.status).toBe(202);

    // What the intake keeps includes the signatures (audit); what is shown never does.
    const stored = await query<{ headers: Record<string, string> }>(
      t.databaseUrl,
      `SELECT headers FROM webhook_events WHERE event_id = 'evt_sig_mac'`,
    );
    expect(stored[0].headers['x-acme-mac']).toBe(macSignature);

    const list = await t.request('GET', '/webhook-events?limit=500', { headers: keys.viewer });
    const details = await Promise.all(
      ['evt_sig_seed', 'evt_sig_std', 'evt_sig_mac'].map((id) => eventOf(id)),
    );
    const texts = [list.text, ...details.map((d) => JSON.stringify(d))];
    for (const secretish of [
      seedSignature,
      stdSignature,
      stdSignature.split(',')[1],
      macSignature,
      WEBHOOK_SECRET,
      stdSecret,
      macSecret,
    ]) {
      for (const text of texts) expect(text).not.toContain(secretish);
    }
    expect(details.map((d) => d.headers)).toEqual([
      { 'content-type': 'application/json', 'user-agent': 'node', 'x-event-id': 'evt_sig_seed' },
      expect.objectContaining({
        'webhook-id': 'evt_sig_std',
        'webhook-timestamp': expect.any(String),
      }),
      {
        'content-type': 'application/json',
        'user-agent': 'node',
        'x-acme-delivery': 'evt_sig_mac',
      },
    ]);
    expect(Object.keys(details[1].headers).sort()).toEqual([
      'content-type',
      'user-agent',
      'webhook-id',
      'webhook-timestamp',
    ]);
  });

  it('filters by bank, outcome, transaction and time; pages by cursor, newest first', async () => {
    const first = JSON.stringify(seedBody({ transaction_id: 'txn_dup', reference: 'INV-DUP' }));
    const again = JSON.stringify(seedBody({ transaction_id: 'txn_dup', reference: 'INV-OTHER' }));
    expect((await sendSigned(t, first, 'evt_dup_1')).status).toBe(202);
    expect((await sendSigned(t, again, 'evt_dup_2')).status).toBe(202);
    // An Up PING, as UpIntake stores it (the acme bank's scheme does not matter to the list).
    const ping = Buffer.from(
      JSON.stringify({
        data: { type: 'webhook-events', id: 'evt_ping', attributes: { eventType: 'PING' } },
      }),
    );
    await query(
      t.databaseUrl,
      `INSERT INTO webhook_events (bank_id, event_id, event_type, body, body_sha256, headers)
       VALUES ('acme', 'evt_ping', 'PING', $1, sha256($1), '{}')`,
      [ping],
    );

    const [dup1, dup2] = [await eventOf('evt_dup_1'), await eventOf('evt_dup_2')];
    expect([dup1.outcome, dup2.outcome]).toEqual(['created', 'duplicate']);
    expect(dup2.transaction_id).toBe(dup1.transaction_id);
    const ofTx = await events(`?transaction_id=${dup1.transaction_id}`);
    expect(ofTx.map((e) => e.event_id)).toEqual(['evt_dup_2', 'evt_dup_1']);

    expect((await events('?outcome=duplicate')).map((e) => e.event_id)).toEqual(['evt_dup_2']);
    expect((await events('?outcome=no_transaction')).map((e) => e.event_id)).toEqual(['evt_ping']);
    const acme = await events('?bank=acme');
    expect(acme.map((e) => e.event_id).sort()).toEqual(['evt_ping', 'evt_sig_mac']);
    expect(await events('?to=2026-01-01T00:00:00Z')).toEqual([]);
    const all = await events('?limit=500');
    expect((await events(`?from=2000-01-01`)).length).toBe(all.length);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: EventItem[]; next_cursor: string | null } } =
        await t.request('GET', `/webhook-events?limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: keys.viewer,
        });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((e) => e.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('400 problem+json for bad filters, 404 for an unknown event, 401 without a key', async () => {
    for (const [path, field] of [
      ['?limit=9999', 'limit'],
      ['?outcome=matched', 'outcome'],
      ['?transaction_status=DONE', 'transaction_status'],
      ['?transaction_id=txn_001', 'transaction_id'],
      ['?from=yesterday', 'from'],
      ['?to=2026-01-01T10', 'to'],
      ['?cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['?bank=%00', 'bank'],
    ]) {
      const res = await t.request('GET', `/webhook-events${path}`, { headers: keys.viewer });
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      const res = await t.request('GET', `/webhook-events/${id}`, { headers: keys.viewer });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await replay(id)).status).toBe(404);
    }
    expect((await t.request('GET', '/webhook-events')).status).toBe(401);
  });

  it('viewer reads but may not replay; operator replays', async () => {
    const { id } = await eventOf('evt_bytes');
    const before = await counts();
    const refused = await replay(id, keys.viewer);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await t.request('POST', `/webhook-events/${id}/replay`)).status).toBe(401);
    const allowed = await replay(id);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({ event_id: id, result: 'unchanged' });
    expect(await counts()).toEqual(before);
  });

  it('replays the event of a FAILED transaction: requeued once, then nothing more', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_failed', reference: 'INV-F' }));
    expect((await sendSigned(t, raw, 'evt_failed')).status).toBe(202);
    const event = await eventOf('evt_failed');
    await query(
      t.databaseUrl,
      `UPDATE transactions SET status = 'FAILED', attempts = 8, last_error = 'boom'
        WHERE id = $1`,
      [event.transaction_id],
    );
    const before = await counts();
    const failed = await events('?transaction_status=FAILED');
    expect(failed.map((e) => e.event_id)).toEqual(['evt_failed']);
    const first = await replay(event.id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      event_id: event.id,
      result: 'requeued',
      transaction_id: event.transaction_id,
      external_transaction_id: 'txn_failed',
      transaction_status: 'PENDING',
    });
    const [tx] = await query<{ status: string; attempts: number }>(
      t.databaseUrl,
      `SELECT status, attempts FROM transactions WHERE id = $1`,
      [event.transaction_id],
    );
    expect(tx).toEqual({ status: 'PENDING', attempts: 0 });
    const second = await replay(event.id);
    expect(second.body.result).toBe('unchanged');
    expect(await counts()).toEqual(before);
    await tick();
    const done = await t.request('GET', `/transactions/${event.transaction_id}`, {
      headers: keys.viewer,
    });
    expect(done.body.status).toBe('PROCESSED');
    expect((await replay(event.id)).body.result).toBe('unchanged');
  });

  it('concurrent replays of one FAILED transaction requeue it once', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_race' }));
    expect((await sendSigned(t, raw, 'evt_race')).status).toBe(202);
    const event = await eventOf('evt_race');
    await query(t.databaseUrl, `UPDATE transactions SET status = 'FAILED' WHERE id = $1`, [
      event.transaction_id,
    ]);
    const before = await counts();
    const answers = await Promise.all(Array.from({ length: 16 }, () => replay(event.id)));
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    expect(answers.map((a) => a.body.result).sort()).toEqual([
      'requeued',
      ...Array(15).fill('unchanged'),
    ]);
    expect(await counts()).toEqual(before);
  });

  it('after a fix: a transaction stored wrongly is stored again from its bytes, then matched', async () => {
    const invoice = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: 'INV-FIX', amount_due: '5000.00', currency: 'NGN' },
    });
    expect(invoice.status).toBe(201);
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_fix', reference: 'INV-FIX' }));
    expect((await sendSigned(t, raw, 'evt_fix')).status).toBe(202);
    const event = await eventOf('evt_fix');
    // What a normalization bug would have stored: the reference lost, so no match.
    await query(
      t.databaseUrl,
      `UPDATE transactions SET reference = NULL, status = 'PROCESSED', processed_at = now()
        WHERE id = $1`,
      [event.transaction_id],
    );
    const before = await counts();
    const first = await replay(event.id);
    expect(first.body).toMatchObject({ result: 'updated', transaction_status: 'PENDING' });
    expect((await replay(event.id)).body.result).toBe('unchanged');
    expect(await counts()).toEqual(before);
    await tick();
    const tx = await t.request('GET', `/transactions/${event.transaction_id}`, { headers: admin });
    expect(tx.body).toMatchObject({
      reference: 'INV-FIX',
      status: 'PROCESSED',
      match_status: 'matched',
    });
    const paid = await t.request('GET', `/invoices/${invoice.body.id}`, { headers: admin });
    expect(paid.body.status).toBe('paid');
    expect(paid.body.amount_paid).toBe('5000.00');
  });

  it('never resets a matched transaction, nor lets a later event of it overwrite it', async () => {
    const event = await eventOf('evt_fix');
    const snapshot = async () =>
      query(
        t.databaseUrl,
        `SELECT t.*, (SELECT json_agg(m ORDER BY m.id) FROM transaction_matches m
                       WHERE m.transaction_id = t.id) AS matches
           FROM transactions t WHERE t.id = $1`,
        [event.transaction_id],
      );
    // Changed behind the service's back: a replay that reset it would restore the description.
    await query(t.databaseUrl, `UPDATE transactions SET description = 'edited' WHERE id = $1`, [
      event.transaction_id,
    ]);
    const before = await snapshot();
    const res = await replay(event.id);
    expect(res.body).toMatchObject({ result: 'unchanged', transaction_status: 'PROCESSED' });
    expect(res.body.detail).toMatch(/allocations/);
    expect(await snapshot()).toEqual(before);

    const later = await eventOf('evt_dup_2');
    const dupBefore = await query(t.databaseUrl, `SELECT * FROM transactions WHERE id = $1`, [
      later.transaction_id,
    ]);
    expect((await replay(later.id)).body.result).toBe('unchanged');
    expect(
      await query(t.databaseUrl, `SELECT * FROM transactions WHERE id = $1`, [
        later.transaction_id,
      ]),
    ).toEqual(dupBefore);
  });

  it('stores a transaction the event names but that is missing, once', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_lost' }));
    expect((await sendSigned(t, raw, 'evt_lost')).status).toBe(202);
    const event = await eventOf('evt_lost');
    await query(t.databaseUrl, `DELETE FROM transactions WHERE id = $1`, [event.transaction_id]);
    const before = await counts();
    const first = await replay(event.id);
    expect(first.body).toMatchObject({ result: 'created', transaction_status: 'PENDING' });
    expect((await replay(event.id)).body.result).toBe('unchanged');
    const after = await counts();
    expect(after).toEqual({ ...before, txs: before.txs + 1, outbox: before.outbox + 1 });
    expect((await eventOf('evt_lost')).outcome).toBe('created');
  });

  it('422 when the stored bytes no longer pass validation; nothing changes', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_stale' }));
    expect((await sendSigned(t, raw, 'evt_stale')).status).toBe(202);
    const event = await eventOf('evt_stale');
    // As if a rule had become stricter since: the stored amount is no longer acceptable.
    const bad = Buffer.from(JSON.stringify(seedBody({ transaction_id: 'txn_stale', amount: -1 })));
    await query(t.databaseUrl, `UPDATE webhook_events SET body = $2 WHERE id = $1`, [
      event.id,
      bad,
    ]);
    const before = await query(t.databaseUrl, `SELECT * FROM transactions WHERE id = $1`, [
      event.transaction_id,
    ]);
    const res = await replay(event.id);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['amount']);
    expect(
      await query(t.databaseUrl, `SELECT * FROM transactions WHERE id = $1`, [
        event.transaction_id,
      ]),
    ).toEqual(before);
  });

  it('replays an Up event: a PING names nothing; a FAILED fetch is queued again', async () => {
    const ping = (await events('?outcome=no_transaction'))[0];
    expect((await replay(ping.id)).body).toMatchObject({
      result: 'unchanged',
      transaction_id: null,
    });

    const body = JSON.stringify({
      data: {
        type: 'webhook-events',
        id: 'up_evt_1',
        attributes: { eventType: 'TRANSACTION_CREATED', createdAt: '2026-02-27T12:00:00Z' },
        relationships: {
          transaction: {
            data: { type: 'transactions', id: 'up_tx_1' },
            links: { related: 'https://api.up.example/api/v1/transactions/up_tx_1' },
          },
        },
      },
    });
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `WITH e AS (INSERT INTO webhook_events (bank_id, event_id, event_type, body, body_sha256,
                    headers, external_transaction_id)
                  VALUES ('acme', 'up_evt_1', 'TRANSACTION_CREATED', $1, sha256($1), '{}', 'up_tx_1')
                  RETURNING id)
       INSERT INTO transactions (bank_id, external_id, status, needs_fetch, attempts, last_error,
                                 source_event_id)
       SELECT 'acme', 'up_tx_1', 'FAILED', false, 8, 'bank API down', id FROM e
       RETURNING source_event_id AS id`,
      [Buffer.from(body)],
    );
    const first = await replay(row.id);
    expect(first.body).toMatchObject({ result: 'requeued', transaction_status: 'PENDING' });
    const [tx] = await query(
      t.databaseUrl,
      `SELECT status, attempts, needs_fetch, details_url FROM transactions WHERE external_id = 'up_tx_1'`,
    );
    expect(tx).toEqual({
      status: 'PENDING',
      attempts: 0,
      needs_fetch: true,
      details_url: 'https://api.up.example/api/v1/transactions/up_tx_1',
    });
    expect((await replay(row.id)).body.result).toBe('unchanged');
  });
});
