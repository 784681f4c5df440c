import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { createApiBank } from './support/banks';
import { query } from './support/database';
import { startFakeBank, upEvent, upTransaction, type FakeBank } from './support/fake-bank';
import { eventually, hmacHex, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

/**
 * Issue 18, Up and seed fields: what a source sends beyond the basic fields is kept and shown,
 * and a transaction of amount 0 is stored and not matched (never FAILED).
 */
describe('transactions keep what sources send (Up foreignAmount, holdInfo, settledAt, rawText; counterparty_account; amount 0)', () => {
  let t: TestApp;
  let up: FakeBank;
  const admin = bearer(ADMIN_KEY);
  const resources = new Map<string, unknown>();
  const page: unknown[] = [];

  beforeAll(async () => {
    up = await startFakeBank((_req, url) => {
      if (url.pathname === '/api/v1/transactions') {
        return { json: { data: page, links: { prev: null, next: null } } };
      }
      const m = /^\/api\/v1\/transactions\/([^/]+)$/.exec(url.pathname);
      const found = m ? resources.get(decodeURIComponent(m[1])) : undefined;
      return found ? { json: found } : undefined;
    });
    t = await startTestApp({
      WEBHOOK_SECRET,
      PROCESSING_BACKOFF_MS: '50',
      PROCESSING_MAX_ATTEMPTS: '2',
      PULL_TIMEOUT_MS: '1000',
      PULL_RETRIES: '0',
    });
    await createApiBank(t, 'upx', `${up.url}/api/v1`, 'up');
  });
  afterAll(async () => {
    await t.close();
    await up.close();
  });

  const deliverUp = (body: unknown) => {
    const raw = JSON.stringify(body);
    return t.request('POST', '/webhooks/upx/transactions', {
      headers: {
        'content-type': 'application/json',
        'x-up-authenticity-signature': hmacHex('upx-secret-123', raw),
      },
      body: raw,
    });
  };
  const byExternal = async (bank: string, externalId: string) =>
    (
      await t.request('GET', `/transactions?bank=${bank}&external_id=${externalId}`, {
        headers: admin,
      })
    ).body.data[0];
  const processed = (bank: string, externalId: string) =>
    eventually(
      async () => {
        const tx = await byExternal(bank, externalId);
        return tx && tx.status !== 'PENDING' ? tx : undefined;
      },
      10_000,
      `${externalId} processed`,
    );
  const outbox = (type: string, externalId: string) =>
    query<{ n: string }>(
      t.databaseUrl,
      `SELECT count(*) AS n FROM outbox_events WHERE type = $1 AND payload->>'external_id' = $2`,
      [type, externalId],
    ).then((rows) => Number(rows[0].n));

  // An Up card purchase abroad, held at one amount and settled at another (v1/openapi.json
  // TransactionResource: foreignAmount, holdInfo { amount, foreignAmount }, settledAt).
  const abroad = (id: string) =>
    upTransaction(id, {
      value: '-15.32',
      message: null,
      description: 'Amazon Web Services',
      rawText: 'AWS EMEA AWS.AMAZON.CO LUX',
      attributes: {
        foreignAmount: { currencyCode: 'USD', value: '-10.00', valueInBaseUnits: -1000 },
        holdInfo: {
          amount: { currencyCode: 'AUD', value: '-15.20', valueInBaseUnits: -1520 },
          foreignAmount: { currencyCode: 'USD', value: '-10.00', valueInBaseUnits: -1000 },
        },
        settledAt: '2026-02-28T09:30:00+11:00',
      },
    });

  it('keeps foreign amount, hold amount, settled time and raw text of a fetched Up transaction', async () => {
    resources.set('up-abroad', abroad('up-abroad'));
    const res = await deliverUp(upEvent('evt-abroad', 'TRANSACTION_CREATED', 'up-abroad'));
    expect(res.status).toBe(200);
    const tx = await processed('upx', 'up-abroad');
    expect(tx).toMatchObject({
      status: 'PROCESSED',
      amount: '15.32',
      currency: 'AUD',
      direction: 'debit',
      foreign_amount: '10.00',
      foreign_currency: 'USD',
      hold_amount: '15.20',
      hold_currency: 'AUD',
      settled_at: '2026-02-27T22:30:00.000Z',
      raw_text: 'AWS EMEA AWS.AMAZON.CO LUX',
      counterparty_account: null,
    });
    // Exact decimals in the database, and the same fields in the event payload.
    const [row] = await query<{ foreign_amount: string; hold_amount: string }>(
      t.databaseUrl,
      `SELECT foreign_amount::text, hold_amount::text FROM transactions WHERE external_id = 'up-abroad'`,
    );
    expect(row).toEqual({ foreign_amount: '10.0000', hold_amount: '15.2000' });
    const [event] = await query<{ data: Record<string, unknown> }>(
      t.databaseUrl,
      `SELECT payload AS data FROM outbox_events WHERE type = 'transaction.processed'
          AND payload->>'external_id' = 'up-abroad'`,
    );
    expect(event.data).toMatchObject({
      foreign_amount: '10.00',
      foreign_currency: 'USD',
      hold_amount: '15.20',
      settled_at: '2026-02-27T22:30:00.000Z',
      raw_text: 'AWS EMEA AWS.AMAZON.CO LUX',
    });
  });

  it('keeps the same fields for an Up transaction pulled by a run', async () => {
    page.length = 0;
    page.push((abroad('up-pulled') as { data: unknown }).data);
    const run = await t.request('POST', '/reconcile/run', { headers: admin });
    expect(run.status).toBe(200);
    const tx = await byExternal('upx', 'up-pulled');
    expect(tx).toMatchObject({
      source: 'pull',
      foreign_amount: '10.00',
      foreign_currency: 'USD',
      hold_amount: '15.20',
      hold_currency: 'AUD',
      settled_at: '2026-02-27T22:30:00.000Z',
      raw_text: 'AWS EMEA AWS.AMAZON.CO LUX',
    });
  });

  it("keeps the fields of Up's own documented example (a purchase in IDR)", async () => {
    // developer.up.com.au, "Transaction Resource Response (JSON)", as published (trimmed of
    // relationships this service does not read).
    const example = {
      type: 'transactions',
      id: '6035d589-42a1-44b0-9007-754119a5d04a',
      attributes: {
        status: 'SETTLED',
        rawText: 'WARUNG BEBEK, UBUD INDONES',
        description: 'Warung Bebek Bengil',
        message: null,
        isCategorizable: true,
        holdInfo: {
          amount: { currencyCode: 'AUD', value: '-107.92', valueInBaseUnits: -10792 },
          foreignAmount: null,
        },
        roundUp: {
          amount: { currencyCode: 'AUD', value: '-0.08', valueInBaseUnits: -8 },
          boostPortion: null,
        },
        cashback: null,
        amount: { currencyCode: 'AUD', value: '-107.92', valueInBaseUnits: -10792 },
        foreignAmount: { currencyCode: 'IDR', value: '-1053698.77', valueInBaseUnits: -105369877 },
        cardPurchaseMethod: { method: 'CARD_ON_FILE', cardNumberSuffix: '0001' },
        settledAt: '2025-05-31T04:00:00+10:00',
        createdAt: '2025-05-31T04:00:00+10:00',
        transactionType: null,
        note: null,
        performingCustomer: { displayName: 'Bobby' },
        deepLinkURL: 'up://transaction/VHJhbnNhY3Rpb24tMTE2',
      },
      relationships: { transferAccount: { data: null } },
      links: { self: `${up.url}/api/v1/transactions/6035d589-42a1-44b0-9007-754119a5d04a` },
    };
    page.length = 0;
    page.push(example);
    expect((await t.request('POST', '/reconcile/run', { headers: admin })).status).toBe(200);
    expect(await byExternal('upx', example.id)).toMatchObject({
      amount: '107.92',
      currency: 'AUD',
      direction: 'debit',
      foreign_amount: '1053698.77',
      foreign_currency: 'IDR',
      hold_amount: '107.92',
      hold_currency: 'AUD',
      settled_at: '2025-05-30T18:00:00.000Z',
      raw_text: 'WARUNG BEBEK, UBUD INDONES',
    });
  });

  it('stores a 0.00 Up transaction, processed and not_applicable, never FAILED, on every pull', async () => {
    const zero = upTransaction('up-zero', { value: '0.00', message: 'INV-404' });
    page.length = 0;
    page.push((zero as { data: unknown }).data);
    for (let i = 0; i < 2; i++) {
      const run = await t.request('POST', '/reconcile/run', { headers: admin });
      expect(run.status).toBe(200);
      expect(run.body.unmatched_transaction_ids).toEqual([]);
    }
    const tx = await byExternal('upx', 'up-zero');
    expect(tx).toMatchObject({
      status: 'PROCESSED',
      amount: '0.00',
      unallocated_amount: '0.00',
      match_status: 'not_applicable',
      last_error: null,
    });
    expect(await outbox('transaction.failed', 'up-zero')).toBe(0);
    const exceptions = await t.request('GET', '/reconcile/exceptions?bank=upx', { headers: admin });
    expect(exceptions.body.data.map((e: { external_id: string }) => e.external_id)).not.toContain(
      'up-zero',
    );
    const filtered = await t.request('GET', '/transactions?match_status=not_applicable', {
      headers: admin,
    });
    expect(filtered.status).toBe(200);
    expect(filtered.body.data.map((x: { external_id: string }) => x.external_id)).toContain(
      'up-zero',
    );
    // Nothing to match: amounts of 0, and debits that are no refund.
    for (const x of filtered.body.data as Array<{ amount: string; direction: string }>) {
      expect(x.amount === '0.00' || x.direction === 'debit').toBe(true);
    }
  });

  it('stores a 0.00 Up transaction delivered by webhook, processed and not_applicable', async () => {
    resources.set('up-zero-hook', upTransaction('up-zero-hook', { value: '0.00' }));
    expect(
      (await deliverUp(upEvent('evt-zero', 'TRANSACTION_CREATED', 'up-zero-hook'))).status,
    ).toBe(200);
    const tx = await processed('upx', 'up-zero-hook');
    expect(tx).toMatchObject({ status: 'PROCESSED', match_status: 'not_applicable' });
    expect(await outbox('transaction.failed', 'up-zero-hook')).toBe(0);
  });

  it('shows counterparty_account from the seed body, compact; null when absent', async () => {
    const raw = JSON.stringify(
      seedBody({ transaction_id: 'acct_1', counterparty_account: 'gb82 west 1234 5698 7654 32' }),
    );
    expect((await sendSigned(t, raw, 'evt-acct-1')).status).toBe(202);
    const raw2 = JSON.stringify(seedBody({ transaction_id: 'acct_2' }));
    expect((await sendSigned(t, raw2, 'evt-acct-2')).status).toBe(202);
    expect((await byExternal('default', 'acct_1')).counterparty_account).toBe(
      'GB82WEST12345698765432',
    );
    expect((await byExternal('default', 'acct_2')).counterparty_account).toBeNull();
  });

  it('400 for a counterparty_account that is neither an IBAN nor an account number; nothing stored', async () => {
    for (const [n, value] of [
      [1, 'GB82 WEST 1234 5698 7654 33'],
      [2, 'not an account'],
      [3, 42],
    ] as const) {
      const raw = JSON.stringify(
        seedBody({ transaction_id: `acct_bad_${n}`, counterparty_account: value }),
      );
      const res = await sendSigned(t, raw, `evt-acct-bad-${n}`);
      expect([value, res.status]).toEqual([value, 400]);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([
        'counterparty_account',
      ]);
    }
    const rows = await query(
      t.databaseUrl,
      `SELECT 1 FROM webhook_events WHERE event_id LIKE 'evt-acct-bad-%'
       UNION ALL SELECT 1 FROM transactions WHERE external_id LIKE 'acct_bad_%'`,
    );
    expect(rows).toHaveLength(0);
  });

  it('refuses an amount of 0 in the seed body (the contract: amount > 0)', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'seed_zero', amount: '0.00' }));
    const res = await sendSigned(t, raw, 'evt-seed-zero');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('amount');
  });
});
