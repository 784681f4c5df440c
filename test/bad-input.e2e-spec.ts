import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const admin = bearer(ADMIN_KEY);
const cursor = (position: unknown): string =>
  Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
const ZERO_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Input that validation used to let through to PostgreSQL, which refused it: each was a 500
 * (found by a review). The contract: no request answers 500 for bad input, and nothing is
 * stored.
 */
describe('bad input is a 4xx, never a 500', () => {
  let t: TestApp;
  let subscriptionId: string;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET, ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true' });
    const bank = await t.request('POST', '/banks', {
      headers: admin,
      json: {
        id: 'acme',
        name: 'Acme',
        signature_scheme: 'hmac-sha256',
        secrets: ['acme-s3cret-1'],
      },
    });
    expect(bank.status).toBe(201);
    const sub = await t.request('POST', '/subscriptions', {
      headers: admin,
      json: { url: 'http://127.0.0.1:9/hook', events: ['invoice.paid'] },
    });
    expect(sub.status).toBe(201);
    subscriptionId = sub.body.id;
  });
  afterAll(() => t.close());

  it.each([
    ['POST', '/api-keys', { name: 'ops\u0000bot', role: 'viewer' }, 'name'],
    [
      'POST',
      '/invoices',
      { invoice_number: 'INV-N1', amount_due: '1.00', currency: 'NGN', customer: 'a\u0000' },
      'customer',
    ],
    [
      'POST',
      '/invoices',
      { invoice_number: 'INV-\ud800', amount_due: '1.00', currency: 'NGN' },
      'invoice_number',
    ],
    [
      'POST',
      '/banks',
      {
        id: 'leak',
        name: 'L',
        signature_scheme: 'hmac-sha256',
        secrets: ['good-secret-1', 'bad\u0000secret'],
      },
      'secrets.1',
    ],
    ['PATCH', '/banks/acme', { name: 'Acme\u0000' }, 'name'],
  ])(
    '%s %s with text PostgreSQL cannot store: 400 naming the field',
    async (method, path, json, field) => {
      const res = await t.request(method, path, { headers: admin, json });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    },
  );

  it('NUL in a query string or a path: 400 (staff) or 404 (webhooks), no database error', async () => {
    for (const path of [
      '/transactions?reference=%00',
      '/invoices?number=%00',
      '/reconcile/exceptions?bank=%00',
    ]) {
      const res = await t.request('GET', path, { headers: admin });
      expect([path, res.status]).toEqual([path, 400]);
    }
    expect((await t.request('GET', '/banks/%00', { headers: admin })).status).toBe(400);
    const webhook = await sendSigned(t, JSON.stringify(seedBody()), 'evt_nul_bank', {
      path: '/webhooks/%00/transactions',
    });
    expect(webhook.status).toBe(404);
    expect(webhook.body.type).toBe('/problems/unknown-bank');
  });

  it('null for a field that cannot be empty: 400, not a NOT NULL violation', async () => {
    for (const json of [{ name: null }, { secrets: null }, { event_id_header: null }]) {
      const res = await t.request('PATCH', '/banks/acme', { headers: admin, json });
      expect([json, res.status]).toEqual([json, 400]);
    }
    for (const json of [{ url: null }, { events: null }, { enabled: null }]) {
      const res = await t.request('PATCH', `/subscriptions/${subscriptionId}`, {
        headers: admin,
        json,
      });
      expect([json, res.status]).toEqual([json, 400]);
    }
    // null still clears what may be empty.
    const cleared = await t.request('PATCH', `/subscriptions/${subscriptionId}`, {
      headers: admin,
      json: { description: null },
    });
    expect(cleared.status).toBe(200);
  });

  it('a bank API base_url that class-validator takes but URL parsing refuses: 400', async () => {
    const res = await t.request('POST', '/banks', {
      headers: admin,
      json: {
        id: 'hexhost',
        name: 'Hex',
        signature_scheme: 'hmac-sha256',
        secrets: ['hex-s3cret-1'],
        api: { kind: 'standard', base_url: 'http://0x100000000', token: 'tok' },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('api.base_url');
    expect(await query(t.databaseUrl, `SELECT 1 FROM banks WHERE id = 'hexhost'`)).toHaveLength(0);
  });

  it('a bank API token that is not one header value, or a base_url with credentials: 400', async () => {
    const api = (token: string, base_url = 'https://api.example.test') => ({
      id: `tok-${Math.random().toString(36).slice(2, 8)}`,
      name: 'T',
      signature_scheme: 'hmac-sha256',
      secrets: ['tok-s3cret-1'],
      api: { kind: 'standard', base_url, token },
    });
    for (const [json, field] of [
      [api('tok_A\ntok_B'), 'api.token'], // fetch's error would quote it into run records
      [api('tok A'), 'api.token'],
      [api('tok', 'https://user:pass@api.example.test'), 'api.base_url'],
    ] as const) {
      const res = await t.request('POST', '/banks', { headers: admin, json });
      expect([field, res.status, res.body.errors?.[0]?.field]).toEqual([field, 400, field]);
    }
    const ok = await t.request('POST', '/banks', { headers: admin, json: api('up:yeah:abc123') });
    expect(ok.status).toBe(201);
  });

  it('the bank id "bank" is reserved: /webhooks/bank/transactions is the default bank', async () => {
    const res = await t.request('POST', '/banks', {
      headers: admin,
      json: {
        id: 'bank',
        name: 'Bank',
        signature_scheme: 'hmac-sha256',
        secrets: ['bank-s3cret-1'],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('id');
  });

  it.each([
    ['"1", which Date.parse reads as 2001', '1'],
    ['February 30', '2026-02-30T00:00:00.000Z'],
    ['year 0', '0000-01-01T00:00:00.000Z'],
  ])('a forged list cursor with %s: 400 on every list', async (_, at) => {
    const forged = cursor({ at, id: ZERO_ID });
    for (const list of [
      '/api-keys',
      '/banks',
      '/invoices',
      '/reconcile/runs',
      '/reconcile/exceptions',
      '/subscriptions',
      '/transactions',
    ]) {
      const res = await t.request('GET', `${list}?cursor=${forged}`, { headers: admin });
      expect([list, res.status]).toEqual([list, 400]);
    }
  });

  it('a /transactions date filter that IsISO8601 takes but Date cannot read: 400', async () => {
    for (const from of ['2026-01-01T10', '2026-W01', '0000-01-01']) {
      const res = await t.request('GET', `/transactions?from=${from}`, { headers: admin });
      expect([from, res.status]).toEqual([from, 400]);
    }
    expect(
      (await t.request('GET', '/transactions?from=2026-01-01', { headers: admin })).status,
    ).toBe(200);
  });

  it('an invoice due in year 0, which PostgreSQL has not: 400', async () => {
    const res = await t.request('POST', '/invoices', {
      headers: admin,
      json: {
        invoice_number: 'INV-Y0',
        amount_due: '1.00',
        currency: 'NGN',
        due_date: '0000-01-01',
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('due_date');
  });
});
