import { request } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { IntakeService } from '../src/intake/intake.service';
import { query } from './support/database';
import {
  eventually,
  hmacHex,
  lastByteFlipped,
  seedBody,
  sendSigned,
  WEBHOOK_SECRET,
} from './support/webhooks';

const count = async (t: TestApp, table: string): Promise<number> =>
  Number((await query<{ n: string }>(t.databaseUrl, `SELECT count(*) AS n FROM ${table}`))[0].n);

/** bank_sync_webhook_rejected_total for one bank and reason (0 before the first rejection). */
async function rejections(t: TestApp, bank: string, reason: string): Promise<number> {
  const metrics = await t.request('GET', '/metrics', { headers: bearer(ADMIN_KEY) });
  const line = metrics.text
    .split('\n')
    .find((l) =>
      l.startsWith(`bank_sync_webhook_rejected_total{bank="${bank}",reason="${reason}"}`),
    );
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('webhook intake (seed format, default bank)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET, MAX_BODY_BYTES: '1048576' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('202 on first delivery, committed before the answer; 200 deduped on replay', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_first' }));
    const first = await sendSigned(t, raw, 'evt_first');
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      ok: true,
      event_id: 'evt_first',
      transaction_id: 'txn_first',
      status: 'accepted',
      deduped: false,
    });
    const stored = await query<{ amount: string; currency: string; status: string }>(
      t.databaseUrl,
      `SELECT amount::text, currency, status FROM transactions WHERE external_id = 'txn_first'`,
    );
    expect(stored).toHaveLength(1);
    expect(stored[0].amount).toBe('5000.0000');
    const [event] = await query<{ body: Buffer; headers: Record<string, string> }>(
      t.databaseUrl,
      `SELECT body, headers FROM webhook_events WHERE event_id = 'evt_first'`,
    );
    expect(event.body.toString('utf8')).toBe(raw);
    expect(event.headers['x-event-id']).toBe('evt_first');

    const replay = await sendSigned(t, raw, 'evt_first');
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ event_id: 'evt_first', deduped: true });
    expect(await count(t, `webhook_events WHERE event_id = 'evt_first'`)).toBe(1);
  });

  it('stores the exact bytes of a body with escapes, non-ASCII text and odd spacing', async () => {
    const body = JSON.stringify(seedBody({ transaction_id: 'txn_bytes' })).replace(
      '{',
      '{\n  "note" :"Zahlung für Rechnung \\u00e9 \\" \\\\ \\n \\u0000 \\ud83d\\ude00 😀 請求書",\t',
    );
    const res = await sendSigned(t, body, 'evt_bytes');
    expect(res.status).toBe(202);
    const [event] = await query<{ body: Buffer; same_hash: boolean }>(
      t.databaseUrl,
      `SELECT body, body_sha256 = sha256(body) AS same_hash FROM webhook_events
        WHERE event_id = 'evt_bytes'`,
    );
    expect(event.body.equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(event.same_hash).toBe(true);
  });

  it('stores each body of a batch of concurrent deliveries byte for byte', async () => {
    const raws = Array.from({ length: 30 }, (_, n) =>
      JSON.stringify(seedBody({ transaction_id: `txn_batch_${n}`, note: 'é'.repeat(n * 7) })),
    );
    const answers = await Promise.all(raws.map((raw, n) => sendSigned(t, raw, `evt_batch_${n}`)));
    expect(answers.map((a) => a.status)).toEqual(raws.map(() => 202));
    const rows = await query<{ event_id: string; body: Buffer }>(
      t.databaseUrl,
      `SELECT event_id, body FROM webhook_events WHERE event_id LIKE 'evt_batch_%'`,
    );
    expect(rows).toHaveLength(raws.length);
    for (const row of rows) {
      const n = Number(row.event_id.slice('evt_batch_'.length));
      expect(row.body.toString('utf8')).toBe(raws[n]);
    }
  });

  it('stores bytes that are not UTF-8 text exactly (the shared write path)', async () => {
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x7d]);
    const outcome = await t.app.get(IntakeService).submit({
      bankId: 'default',
      eventId: 'evt_binary',
      eventType: null,
      body: bytes,
      headers: {},
      tx: {
        externalId: 'txn_binary',
        amount: '1.00',
        currency: 'EUR',
        direction: 'credit',
        occurredAt: new Date('2026-01-02T03:04:05Z'),
        reference: null,
        description: null,
        counterparty: null,
      },
      source: 'webhook',
      bankStatus: null,
      rawText: null,
      status: 'PENDING',
    });
    expect(outcome.stored).toBe(true);
    const [event] = await query<{ body: Buffer }>(
      t.databaseUrl,
      `SELECT body FROM webhook_events WHERE event_id = 'evt_binary'`,
    );
    expect(event.body.equals(bytes)).toBe(true);
  });

  it('409 when an event id comes back with a different body; nothing new stored', async () => {
    await sendSigned(t, JSON.stringify(seedBody({ transaction_id: 'txn_c1' })), 'evt_conflict');
    const before = await count(t, 'transactions');
    const res = await sendSigned(
      t,
      JSON.stringify(seedBody({ transaction_id: 'txn_c2' })),
      'evt_conflict',
    );
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await count(t, 'transactions')).toBe(before);
  });

  it('a new event id for a known transaction stores the event only', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_known' }));
    expect((await sendSigned(t, raw, 'evt_k1')).status).toBe(202);
    const again = await sendSigned(t, raw, 'evt_k2');
    expect(again.status).toBe(202);
    expect(again.body.deduped).toBe(false);
    expect(await count(t, `transactions WHERE external_id = 'txn_known'`)).toBe(1);
    expect(await count(t, `webhook_events WHERE external_transaction_id = 'txn_known'`)).toBe(2);
  });

  it('a new event for a known, matched transaction changes none of it, nor its allocations', async () => {
    const invoice = await t.request('POST', '/invoices', {
      headers: bearer(ADMIN_KEY),
      json: { invoice_number: 'INV-2424', amount_due: '5000.00', currency: 'NGN' },
    });
    expect(invoice.status).toBe(201);
    const body = seedBody({ transaction_id: 'txn_matched', reference: 'INV-2424' });
    expect((await sendSigned(t, JSON.stringify(body), 'evt_matched_1')).status).toBe(202);
    const state = async () => {
      const [tx] = await query<{ id: string; match_status: string }>(
        t.databaseUrl,
        `SELECT id, amount::text, currency, unallocated_amount::text, match_status, status,
                reference, processed_at, updated_at
           FROM transactions WHERE external_id = 'txn_matched'`,
      );
      const allocations = await query(
        t.databaseUrl,
        `SELECT id, invoice_id, amount::text, reversed_at FROM transaction_matches
          WHERE transaction_id = $1 ORDER BY id`,
        [tx.id],
      );
      const [paid] = await query(
        t.databaseUrl,
        `SELECT status, amount_paid::text FROM invoices WHERE id = $1`,
        [invoice.body.id],
      );
      return { tx, allocations, invoice: paid };
    };
    const matched = await eventually(async () => {
      const now = await state();
      return now.tx.match_status === 'matched' ? now : undefined;
    });
    expect(matched.tx).toMatchObject({
      amount: '5000.0000',
      unallocated_amount: '0.0000',
      status: 'PROCESSED',
    });
    expect(matched.allocations).toEqual([
      {
        id: expect.any(String),
        invoice_id: invoice.body.id,
        amount: '5000.0000',
        reversed_at: null,
      },
    ]);
    expect(matched.invoice).toEqual({ status: 'paid', amount_paid: '5000.0000' });

    // The same transaction under new event ids, as sent before and with another amount: a
    // webhook never changes a stored transaction (only a pull of a settled hold does), so its
    // matched state survives, down to updated_at.
    const again = [
      ['evt_matched_2', body],
      ['evt_matched_3', { ...body, amount: 9000, reference: 'no invoice' }],
    ] as const;
    for (const [eventId, resent] of again) {
      const res = await sendSigned(t, JSON.stringify(resent), eventId);
      expect(res.status).toBe(202);
      expect(res.body.deduped).toBe(false);
      expect(await state()).toEqual(matched);
    }
    expect(await count(t, `webhook_events WHERE external_transaction_id = 'txn_matched'`)).toBe(3);
  });

  it('accepts the sha256= prefix, upper-case hex and an amount as a decimal string', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_prefix', amount: '12.50' }));
    const res = await sendSigned(t, raw, 'evt_prefix', {
      headers: { 'x-signature': `sha256=${hmacHex(WEBHOOK_SECRET, raw).toUpperCase()}` },
    });
    expect(res.status).toBe(202);
  });

  it.each([
    ['missing signature', { 'x-signature': '' }],
    ['wrong signature', { 'x-signature': hmacHex('not-the-secret', 'x') }],
  ])('401 for a %s, stores nothing, counts the rejection', async (_, headers) => {
    const before = await count(t, 'webhook_events');
    const res = await sendSigned(
      t,
      JSON.stringify(seedBody({ transaction_id: 'txn_401' })),
      'evt_401',
      {
        headers,
      },
    );
    expect(res.status).toBe(401);
    expect(res.body.type).toBe('/problems/invalid-signature');
    expect(await count(t, 'webhook_events')).toBe(before);
    const metrics = await t.request('GET', '/metrics', { headers: bearer(ADMIN_KEY) });
    expect(metrics.text).toMatch(
      /bank_sync_webhook_rejected_total\{bank="default",reason="\w+"\} [1-9]/,
    );
  });

  it('401 bad signature for the valid signature with its last byte flipped; nothing stored', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_last_byte' }));
    const valid = hmacHex(WEBHOOK_SECRET, raw);
    const events = await count(t, 'webhook_events');
    const rejected = await rejections(t, 'default', 'bad_signature');
    const res = await sendSigned(t, raw, 'evt_last_byte', {
      headers: { 'x-signature': lastByteFlipped(valid) },
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({
      type: '/problems/invalid-signature',
      status: 401,
      detail: expect.stringContaining('(bad signature)'),
    });
    expect(await count(t, 'webhook_events')).toBe(events);
    expect(await count(t, `transactions WHERE external_id = 'txn_last_byte'`)).toBe(0);
    expect(await rejections(t, 'default', 'bad_signature')).toBe(rejected + 1);
    // The same delivery with the signature as made is accepted: only the last byte was wrong.
    expect((await sendSigned(t, raw, 'evt_last_byte')).status).toBe(202);
  });

  it('401 when the body was changed after signing', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_tamper' }));
    const res = await sendSigned(t, raw.replace('5000', '9000'), 'evt_tamper', {
      headers: { 'x-signature': hmacHex(WEBHOOK_SECRET, raw) },
    });
    expect(res.status).toBe(401);
  });

  it('400 for a missing event id, naming the header', async () => {
    const res = await sendSigned(t, JSON.stringify(seedBody()), null);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'x-event-id' })]);
  });

  it('400 for an event id header sent twice with different values (ambiguous, not "a, b")', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_two_ids' }));
    // fetch joins repeated headers itself; node:http sends an array as separate lines.
    const send = (ids: string[]) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${t.url}/webhooks/bank/transactions`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-event-id': ids,
              'x-signature': hmacHex(WEBHOOK_SECRET, raw),
            },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end(raw);
      });
    const twoIds = await send(['evt_two_a', 'evt_two_b']);
    expect(twoIds.status).toBe(400);
    expect(JSON.parse(twoIds.body).errors[0].field).toBe('x-event-id');
    // The same id twice is still one id.
    const same = await send(['evt_two_same', 'evt_two_same']);
    expect(same.status).toBe(202);
    expect(JSON.parse(same.body).event_id).toBe('evt_two_same');
  });

  it('400 for malformed JSON', async () => {
    const res = await sendSigned(t, '{"transaction_id": ', 'evt_malformed');
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('/problems/malformed-json');
    expect(res.body.errors).toEqual([{ field: '(body)', message: expect.any(String) }]);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('400 listing every invalid field, storing nothing', async () => {
    const before = await count(t, 'webhook_events');
    const raw = JSON.stringify({
      transaction_id: '',
      amount: -5,
      currency: 'XYZ',
      occurred_at: 'yesterday',
      direction: 'sideways',
      reference: 42,
    });
    const res = await sendSigned(t, raw, 'evt_invalid');
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['currency', 'direction', 'occurred_at', 'reference', 'transaction_id']);
    expect(await count(t, 'webhook_events')).toBe(before);
  });

  it('400 for text PostgreSQL cannot hold, without failing the deliveries batched with it', async () => {
    // JSON can carry an unpaired surrogate ("\\ud800") that PostgreSQL's JSON input refuses.
    const bad = (n: number, field: string): string =>
      JSON.stringify(seedBody({ transaction_id: `txn_sur_${n}` })).replace(
        `"${field}":"`,
        `"${field}":"x\\ud800`,
      );
    const good = (n: number): string => JSON.stringify(seedBody({ transaction_id: `txn_ok_${n}` }));
    const fields = ['transaction_id', 'reference', 'description', 'counterparty'];
    const answers = await Promise.all([
      ...fields.map((f, n) => sendSigned(t, bad(n, f), `evt_sur_${n}`)),
      ...Array.from({ length: 20 }, (_, n) => sendSigned(t, good(n), `evt_ok_${n}`)),
    ]);
    expect(
      answers.slice(0, fields.length).map((a) => [a.status, a.body.errors?.[0]?.field]),
    ).toEqual(fields.map((f) => [400, f]));
    expect(answers.slice(fields.length).every((a) => a.status === 202)).toBe(true);
    expect(await count(t, `webhook_events WHERE event_id LIKE 'evt_sur_%'`)).toBe(0);
    expect(await count(t, `transactions WHERE external_id LIKE 'txn_ok_%'`)).toBe(20);
  });

  it('400 for a date-time PostgreSQL cannot hold or that does not exist, batched with good ones', async () => {
    const dates = [
      '0000-01-01T00:00:00Z', // no year 0 in PostgreSQL
      '0001-01-01T00:30:00+01:00', // year 0 once in UTC
      '9999-12-31T23:59:59-01:00', // past 9999 once in UTC
      '2026-02-30T12:00:00Z', // Date.parse would store March 2
    ];
    const answers = await Promise.all([
      ...dates.map((occurred_at, n) =>
        sendSigned(t, JSON.stringify(seedBody({ occurred_at })), `evt_date_bad_${n}`),
      ),
      ...Array.from({ length: 20 }, (_, n) =>
        sendSigned(
          t,
          JSON.stringify(seedBody({ transaction_id: `txn_date_ok_${n}` })),
          `evt_date_ok_${n}`,
        ),
      ),
    ]);
    expect(
      answers.slice(0, dates.length).map((a) => [a.status, a.body.errors?.[0]?.field]),
    ).toEqual(dates.map(() => [400, 'occurred_at']));
    expect(answers.slice(dates.length).every((a) => a.status === 202)).toBe(true);
    expect(await count(t, `webhook_events WHERE event_id LIKE 'evt_date_bad_%'`)).toBe(0);
  });

  it('a value the database refuses fails only its own delivery, not the batch it was written in', async () => {
    // What validation would refuse, written straight through the shared write path (the pull
    // uses it too): the statement fails, and the batch is written again one delivery at a time.
    const intake = t.app.get(IntakeService);
    const item = (n: number, occurredAt: Date) => ({
      bankId: 'default',
      eventId: `evt_iso_${n}`,
      eventType: null,
      body: Buffer.from(`{"n":${n}}`),
      headers: {},
      tx: {
        externalId: `txn_iso_${n}`,
        amount: '1.00',
        currency: 'EUR',
        direction: 'credit' as const,
        occurredAt,
        reference: null,
        description: null,
        counterparty: null,
      },
      source: 'webhook' as const,
      bankStatus: null,
      rawText: null,
      status: 'PENDING' as const,
    });
    const results = await Promise.allSettled([
      intake.submit(item(0, new Date('0000-06-01T00:00:00Z'))),
      ...Array.from({ length: 12 }, (_, n) =>
        intake.submit(item(n + 1, new Date('2026-01-02T03:04:05Z'))),
      ),
    ]);
    expect(results[0].status).toBe('rejected');
    const refused = (results[0] as PromiseRejectedResult).reason;
    expect(refused.getStatus()).toBe(400);
    expect(refused.toBody().errors[0].message).toMatch(/cannot be stored/);
    expect(results.slice(1).every((r) => r.status === 'fulfilled' && r.value.stored)).toBe(true);
    expect(await count(t, `webhook_events WHERE event_id LIKE 'evt_iso_%'`)).toBe(12);
    expect(await count(t, `transactions WHERE external_id = 'txn_iso_0'`)).toBe(0);
  });

  it('a pulled hold that settles for another amount is stored with what it settled as', async () => {
    const intake = t.app.get(IntakeService);
    const pulled = (eventId: string, amount: string, bankStatus: 'HELD' | 'SETTLED') =>
      intake.submit({
        bankId: 'default',
        eventId,
        eventType: 'pull',
        body: Buffer.from(`{"${eventId}":1}`),
        headers: {},
        tx: {
          externalId: 'txn_pulled_hold',
          amount,
          currency: 'AUD',
          direction: 'credit',
          occurredAt: new Date('2026-01-02T03:04:05Z'),
          reference: bankStatus === 'HELD' ? 'hold' : 'settled',
          description: null,
          counterparty: null,
        },
        source: 'pull',
        bankStatus,
        rawText: null,
        status: 'PROCESSED',
      });
    expect((await pulled('pull:hold:1', '100.00', 'HELD')).transactionWritten).toBe(true);
    expect((await pulled('pull:hold:2', '80.00', 'SETTLED')).transactionWritten).toBe(true);
    const [row] = await query<Record<string, string>>(
      t.databaseUrl,
      `SELECT amount::text, unallocated_amount::text, bank_status, reference, status
         FROM transactions WHERE external_id = 'txn_pulled_hold'`,
    );
    expect(row).toEqual({
      amount: '80.0000',
      unallocated_amount: '80.0000',
      bank_status: 'SETTLED',
      reference: 'settled',
      status: 'PROCESSED',
    });
  });

  it('a pulled transaction completes an Up row whose webhook fetch failed', async () => {
    // As up-intake leaves it when the fetch is refused (a revoked token): no amount, FAILED.
    await query(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, needs_fetch, status, attempts, last_error)
       VALUES ('default', 'txn_stub_failed', true, 'FAILED', 1, 'bank API answered 401')`,
    );
    const outcome = await t.app.get(IntakeService).submit({
      bankId: 'default',
      eventId: 'pull:stub:1',
      eventType: 'pull',
      body: Buffer.from('{"stub":1}'),
      headers: {},
      tx: {
        externalId: 'txn_stub_failed',
        amount: '12.00',
        currency: 'AUD',
        direction: 'credit',
        occurredAt: new Date('2026-01-02T03:04:05Z'),
        reference: 'INV-1',
        description: null,
        counterparty: null,
      },
      source: 'pull',
      bankStatus: 'SETTLED',
      rawText: null,
      status: 'PROCESSED',
    });
    expect(outcome.transactionWritten).toBe(true);
    const [row] = await query<Record<string, unknown>>(
      t.databaseUrl,
      `SELECT amount::text, unallocated_amount::text, status, needs_fetch, last_error, bank_status
         FROM transactions WHERE external_id = 'txn_stub_failed'`,
    );
    expect(row).toEqual({
      amount: '12.0000',
      unallocated_amount: '12.0000',
      status: 'PROCESSED',
      needs_fetch: false,
      last_error: null,
      bank_status: 'SETTLED',
    });
  });

  it.each([
    ['more decimals than NGN has', { amount: '10.001' }],
    ['a fraction of a yen', { amount: 10.5, currency: 'JPY' }],
    ['zero', { amount: 0 }],
    ['exponent notation', { amount: '1e3' }],
    ['a float beyond exact range', { amount: 1e21 }],
  ])('400 for an amount with %s', async (_, overrides) => {
    const res = await sendSigned(
      t,
      JSON.stringify(seedBody(overrides)),
      `evt_amt_${Math.random()}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('amount');
  });

  it('keeps KWD to three decimals exactly', async () => {
    const raw = JSON.stringify(
      seedBody({ transaction_id: 'txn_kwd', amount: '0.125', currency: 'KWD' }),
    );
    expect((await sendSigned(t, raw, 'evt_kwd')).status).toBe(202);
    const list = await t.request('GET', '/transactions?external_id=txn_kwd', {
      headers: bearer(ADMIN_KEY),
    });
    expect(list.body.data[0]).toMatchObject({ amount: '0.125', currency: 'KWD' });
  });

  it('404 for an unknown bank', async () => {
    const res = await sendSigned(t, JSON.stringify(seedBody()), 'evt_404', {
      path: '/webhooks/no-such-bank/transactions',
    });
    expect(res.status).toBe(404);
    expect(res.body.type).toBe('/problems/unknown-bank');
  });

  it('413 for a body of 1.5 MiB', async () => {
    const big = JSON.stringify(seedBody({ description: 'x'.repeat(1.5 * 1024 * 1024) }));
    const res = await sendSigned(t, big, 'evt_big');
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await count(t, `webhook_events WHERE event_id = 'evt_big'`)).toBe(0);
  });

  it('415 for a body that is not JSON', async () => {
    const res = await t.request('POST', '/webhooks/bank/transactions', {
      headers: { 'content-type': 'text/plain', 'x-event-id': 'evt_415' },
      body: 'amount=5',
    });
    expect(res.status).toBe(415);
  });

  // The intake reads plain `application/json` bodies itself (webhook-body.ts); any other JSON
  // content type goes through body-parser. Both must answer every body the same way.
  it.each([
    ['malformed JSON', '{"transaction_id": '],
    ['a number at the top', '123'],
    ['a string at the top', '"INV-001"'],
    ['an array at the top', '[]'],
    ['an empty body', ''],
    ['leading whitespace before a valid body', ` \n\t${JSON.stringify(seedBody())}`],
  ])('answers %s the same with and without body-parser', async (_, raw) => {
    const fast = await sendSigned(t, raw, `evt_fast_${Math.random()}`);
    const parser = await sendSigned(t, raw, `evt_parser_${Math.random()}`, {
      headers: { 'content-type': 'application/json; charset="utf-8"' },
    });
    expect(fast.status).toBe(parser.status);
    expect(fast.body.type).toBe(parser.body.type);
    expect(fast.status).toBe(raw.includes('"transaction_id":"txn_001"') ? 202 : 400);
  });

  it('413 on both paths', async () => {
    const big = JSON.stringify(seedBody({ description: 'x'.repeat(1.1 * 1024 * 1024) }));
    for (const type of ['application/json', 'application/json; charset="utf-8"']) {
      const res = await sendSigned(t, big, `evt_big_${type.length}`, {
        headers: { 'content-type': type },
      });
      expect(res.status).toBe(413);
      expect(res.body.type).toBe('/problems/body-too-large');
    }
  });

  it('stores 50 concurrent identical deliveries once; exactly one says deduped: false', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_race' }));
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => sendSigned(t, raw, 'evt_race')),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(49).fill(200), 202].sort());
    expect(answers.filter((a) => a.body.deduped === false)).toHaveLength(1);
    expect(await count(t, `webhook_events WHERE event_id = 'evt_race'`)).toBe(1);
    expect(await count(t, `transactions WHERE external_id = 'txn_race'`)).toBe(1);
  });

  it('stores 50 events of one transaction under different ids, and the transaction once', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_many' }));
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sendSigned(t, raw, `evt_many_${i}`)),
    );
    expect(answers.every((a) => a.status === 202 && a.body.deduped === false)).toBe(true);
    expect(await count(t, `webhook_events WHERE external_transaction_id = 'txn_many'`)).toBe(50);
    expect(await count(t, `transactions WHERE external_id = 'txn_many'`)).toBe(1);
  });

  it('processes stored transactions in the background (PENDING → PROCESSED)', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_processed' }));
    await sendSigned(t, raw, 'evt_processed');
    const tx = await eventually(async () => {
      const res = await t.request('GET', '/transactions?external_id=txn_processed', {
        headers: bearer(ADMIN_KEY),
      });
      const found = res.body.data[0];
      return found?.status === 'PROCESSED' ? found : undefined;
    });
    expect(tx).toMatchObject({
      bank_id: 'default',
      amount: '5000.00',
      currency: 'NGN',
      direction: 'credit',
      reference: 'INV-001',
      source: 'webhook',
      attempts: 1,
      last_error: null,
    });
    expect(tx.processed_at).toEqual(expect.any(String));
    const one = await t.request('GET', `/transactions/${tx.id}`, { headers: bearer(ADMIN_KEY) });
    expect(one.body).toEqual(tx);
  });
});

describe('webhook intake (standard-webhooks bank)', () => {
  let t: TestApp;
  const secret = 'whsec_' + Buffer.from('a-very-secret-key-of-32-bytes!!!').toString('base64');
  const signer = new Webhook(secret);

  beforeAll(async () => {
    t = await startTestApp();
    const created = await t.request('POST', '/banks', {
      headers: bearer(ADMIN_KEY),
      json: {
        id: 'stdbank',
        name: 'Std Bank',
        signature_scheme: 'standard-webhooks',
        secrets: [secret],
      },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const send = (raw: string, id: string, at: Date, signature?: string) =>
    t.request('POST', '/webhooks/stdbank/transactions', {
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature ?? signer.sign(id, at, raw),
      },
      body: raw,
    });

  it('accepts a delivery signed by the standardwebhooks package', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'std_1' }));
    const res = await send(raw, 'msg_1', new Date());
    expect(res.status).toBe(202);
    expect(res.body.event_id).toBe('msg_1');
  });

  it('accepts several signatures in one header when one matches', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'std_2' }));
    const now = new Date();
    const other = new Webhook(
      'whsec_' + Buffer.from('another-key-another-key-another!').toString('base64'),
    );
    const header = `${other.sign('msg_2', now, raw)} ${signer.sign('msg_2', now, raw)}`;
    expect((await send(raw, 'msg_2', now, header)).status).toBe(202);
  });

  it('401 bad signature for the valid signature with its last byte flipped', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'std_last_byte' }));
    const now = new Date();
    const valid = signer.sign('msg_last_byte', now, raw).slice('v1,'.length);
    const res = await send(raw, 'msg_last_byte', now, `v1,${lastByteFlipped(valid, 'base64')}`);
    expect(res.status).toBe(401);
    expect(res.body.type).toBe('/problems/invalid-signature');
    expect(res.body.detail).toMatch(/\(bad signature\)/);
    expect(await count(t, `webhook_events WHERE event_id = 'msg_last_byte'`)).toBe(0);
    expect((await send(raw, 'msg_last_byte', now)).status).toBe(202);
  });

  it('401 for a timestamp more than 300 s away (replay)', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'std_3' }));
    const res = await send(raw, 'msg_3', new Date(Date.now() - 301_000));
    expect(res.status).toBe(401);
    expect(res.body.detail).toMatch(/stale timestamp/);
  });
});
