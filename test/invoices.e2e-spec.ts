import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { seed } from '../scripts/seed';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';

describe('invoices', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);
  const create = (json: Record<string, unknown>) =>
    t.request('POST', '/invoices', { headers: admin, json });

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('creates an invoice with exact amounts', async () => {
    const res = await create({
      invoice_number: 'INV-100',
      amount_due: '5000',
      currency: 'NGN',
      customer: 'Acme Ltd',
      due_date: '2026-03-31',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      invoice_number: 'INV-100',
      amount_due: '5000.00',
      amount_paid: '0.00',
      amount_outstanding: '5000.00',
      currency: 'NGN',
      customer: 'Acme Ltd',
      due_date: '2026-03-31',
      status: 'pending',
    });
    const got = await t.request('GET', `/invoices/${res.body.id}`, { headers: admin });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: res.body.id, allocations: [] });
  });

  it('answers 409 for a number taken, ignoring case and separators', async () => {
    expect(
      (await create({ invoice_number: 'INV-200', amount_due: 1, currency: 'NGN' })).status,
    ).toBe(201);
    for (const number of ['INV-200', 'inv 200', 'inv_200', 'INV200']) {
      const res = await create({ invoice_number: number, amount_due: '10', currency: 'NGN' });
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toBe('/problems/invoice-number-taken');
    }
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a number the matcher could never find', { invoice_number: 'INV#1' }, 'invoice_number'],
    ['a separator at the end', { invoice_number: 'INV-' }, 'invoice_number'],
    ['five groups', { invoice_number: 'A 1 B 2 C' }, 'invoice_number'],
    ['more decimals than NGN has', { amount_due: '10.001' }, 'amount_due'],
    ['zero', { amount_due: '0' }, 'amount_due'],
    ['a float in exponent notation', { amount_due: 1e21 }, 'amount_due'],
    ['an unknown currency', { currency: 'XYZ' }, 'currency'],
    ['a date that does not exist', { due_date: '2026-02-30' }, 'due_date'],
    ['an unknown field', { extra: 1 }, 'extra'],
  ])('refuses %s with 400 naming the field', async (_name, override, field) => {
    const res = await create({
      invoice_number: 'INV-300',
      amount_due: '10.00',
      currency: 'NGN',
      ...override,
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('respects the currency decimals (JPY 0, KWD 3)', async () => {
    const jpy = await create({ invoice_number: 'JP-1', amount_due: '1500', currency: 'JPY' });
    expect(jpy.body.amount_due).toBe('1500');
    const kwd = await create({ invoice_number: 'KW-1', amount_due: '1.250', currency: 'KWD' });
    expect(kwd.body.amount_outstanding).toBe('1.250');
    expect(
      (await create({ invoice_number: 'JP-2', amount_due: '1.5', currency: 'JPY' })).status,
    ).toBe(400);
  });

  it('lists with filters and an opaque cursor', async () => {
    for (const n of ['L-1', 'L-2', 'L-3']) {
      await create({ invoice_number: n, amount_due: '1.00', currency: 'USD' });
    }
    const byNumber = await t.request('GET', '/invoices?number=l%202', { headers: admin });
    expect(byNumber.body.data.map((i: { invoice_number: string }) => i.invoice_number)).toEqual([
      'L-2',
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/invoices?status=pending&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await t.request('GET', path, { headers: admin });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((i: { id: string }) => i.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const [{ count }] = await query<{ count: string }>(
      t.databaseUrl,
      `SELECT count(*) FROM invoices WHERE status = 'pending'`,
    );
    expect(seen).toHaveLength(Number(count));
    expect((await t.request('GET', '/invoices?status=nope', { headers: admin })).status).toBe(400);
    expect((await t.request('GET', '/invoices?cursor=abc', { headers: admin })).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ at: '2026-01-01T00:00:00Z', id: 'x' })).toString(
      'base64url',
    );
    expect((await t.request('GET', `/invoices?cursor=${forged}`, { headers: admin })).status).toBe(
      400,
    );
  });

  it('cancels a pending invoice, idempotently', async () => {
    const inv = await create({ invoice_number: 'C-1', amount_due: '10.00', currency: 'NGN' });
    const res = await t.request('POST', `/invoices/${inv.body.id}/cancel`, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'cancelled',
      amount_outstanding: '0.00',
      cancelled_by: 'ADMIN_API_KEY',
    });
    const again = await t.request('POST', `/invoices/${inv.body.id}/cancel`, { headers: admin });
    expect(again.status).toBe(200);
    expect(again.body.cancelled_at).toBe(res.body.cancelled_at);
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(
      (await t.request('POST', `/invoices/${missing}/cancel`, { headers: admin })).status,
    ).toBe(404);
  });

  it('needs operator to write and viewer to read', async () => {
    const viewer = await t.request('POST', '/api-keys', {
      headers: admin,
      json: { name: 'v', role: 'viewer' },
    });
    const key = bearer(viewer.body.key);
    expect((await t.request('GET', '/invoices', { headers: key })).status).toBe(200);
    const res = await t.request('POST', '/invoices', {
      headers: key,
      json: { invoice_number: 'V-1', amount_due: '1', currency: 'NGN' },
    });
    expect(res.status).toBe(403);
    expect((await t.request('GET', '/invoices')).status).toBe(401);
  });

  it('seeds the demo invoices idempotently, INV-003 paid', async () => {
    const ds = new DataSource(dataSourceOptions(t.databaseUrl, 2));
    await ds.initialize();
    try {
      expect((await seed(ds)).invoicesCreated).toBe(3);
      expect((await seed(ds)).invoicesCreated).toBe(0);
    } finally {
      await ds.destroy();
    }
    const rows = await query<{ invoice_number: string; amount_due: string; status: string }>(
      t.databaseUrl,
      `SELECT invoice_number, amount_due, status FROM invoices
        WHERE invoice_number IN ('INV-001', 'INV-002', 'INV-003') ORDER BY invoice_number`,
    );
    expect(rows).toEqual([
      { invoice_number: 'INV-001', amount_due: '5000.0000', status: 'pending' },
      { invoice_number: 'INV-002', amount_due: '10000.0000', status: 'pending' },
      { invoice_number: 'INV-003', amount_due: '7500.0000', status: 'paid' },
    ]);
    const matches = await query(t.databaseUrl, `SELECT 1 FROM transaction_matches`);
    expect(matches).toHaveLength(1);
  });
});
