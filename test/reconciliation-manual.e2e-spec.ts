import { randomUUID } from 'node:crypto';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';

describe('manual matches, reversals and stats', () => {
  let t: TestApp;
  let operator: Record<string, string>;
  const admin = bearer(ADMIN_KEY);

  async function tx(amount: string, reference: string | null, currency = 'NGN'): Promise<string> {
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, occurred_at, reference,
                                 status, unallocated_amount, processed_at)
       VALUES ('default', $1, $2, $3, now(), $4, 'PROCESSED', $2, now()) RETURNING id`,
      [`txn_${randomUUID()}`, amount, currency, reference],
    );
    return row.id;
  }
  async function invoice(number: string, amount: string, currency = 'NGN'): Promise<string> {
    const res = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: number, amount_due: amount, currency },
    });
    return res.body.id;
  }
  const match = (json: Record<string, unknown>, headers = operator) =>
    t.request('POST', '/reconcile/matches', { headers, json });
  const reverse = (id: string, reason: string) =>
    t.request('DELETE', `/reconcile/matches/${id}`, { headers: operator, json: { reason } });
  const getInvoice = async (id: string) =>
    (await t.request('GET', `/invoices/${id}`, { headers: admin })).body;
  const reasonOf = async (id: string) =>
    (
      await query<{ reason: string }>(
        t.databaseUrl,
        'SELECT reason FROM transaction_exceptions WHERE transaction_id = $1',
        [id],
      )
    )[0]?.reason ?? null;

  beforeAll(async () => {
    t = await startTestApp();
    const key = await t.request('POST', '/api-keys', {
      headers: admin,
      json: { name: 'ops-alice', role: 'operator' },
    });
    operator = bearer(key.body.key);
  });
  afterAll(async () => {
    await t.close();
  });

  it('allocates by hand with an audit trail, and reverses without deleting', async () => {
    const inv = await invoice('MAN-1', '5000.00');
    const id = await tx('3000.00', 'no number here');
    await t.request('POST', '/reconcile/run', { headers: admin });
    expect(await reasonOf(id)).toBe('unknown_invoice');

    const created = await match({
      transaction_id: id,
      invoice_id: inv,
      amount: '1000.00',
      note: 'customer confirmed by phone',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      transaction_id: id,
      invoice_id: inv,
      invoice_number: 'MAN-1',
      amount: '1000.00',
      rule: 'manual',
      run_id: null,
      created_by: 'ops-alice',
      note: 'customer confirmed by phone',
      live: true,
    });
    expect(await getInvoice(inv)).toMatchObject({
      status: 'partially_paid',
      amount_paid: '1000.00',
    });

    const rest = await match({ transaction_id: id, invoice_id: inv, note: 'the rest' });
    expect(rest.body.amount).toBe('2000.00');
    expect(await reasonOf(id)).toBeNull();
    expect((await getInvoice(inv)).amount_paid).toBe('3000.00');

    const reversed = await reverse(created.body.id, 'wrong invoice');
    expect(reversed.status).toBe(200);
    expect(reversed.body).toMatchObject({
      live: false,
      reversed_by: 'ops-alice',
      reversal_reason: 'wrong invoice',
    });
    expect(reversed.body.reversed_at).toEqual(expect.any(String));
    expect(await getInvoice(inv)).toMatchObject({
      status: 'partially_paid',
      amount_paid: '2000.00',
      amount_outstanding: '3000.00',
    });
    const again = await reverse(created.body.id, 'twice');
    expect(again.status).toBe(409);
    const rows = await query(t.databaseUrl, 'SELECT id FROM transaction_matches WHERE id = $1', [
      created.body.id,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('records what the rules allocate inside a staff request as the system, not as that person', async () => {
    const a = await invoice('MAN-3A', '600.00');
    const b = await invoice('MAN-3B', '600.00');
    const id = await tx('1000.00', 'MAN-3A MAN-3B');
    await t.request('POST', '/reconcile/run', { headers: admin });
    expect(await reasonOf(id)).toBe('ambiguous');
    const manual = await match({ transaction_id: id, invoice_id: a, note: 'confirmed' });
    expect(manual.status).toBe(201);
    expect(manual.body).toMatchObject({ amount: '600.00', created_by: 'ops-alice' });
    // The rest went by the rules to the other invoice the reference names: not ops-alice's act.
    const [followOn] = (await getInvoice(b)).allocations;
    expect(followOn).toMatchObject({ amount: '400.00', rule: 'single', created_by: 'system' });
  });

  it('never re-makes automatically a pair a person reversed', async () => {
    const inv = await invoice('MAN-2', '100.00');
    const id = await tx('100.00', 'MAN-2');
    await t.request('POST', '/reconcile/run', { headers: admin });
    const [auto] = (await getInvoice(inv)).allocations;
    expect(auto.rule).toBe('single');
    expect((await reverse(auto.id, 'customer says it was for another invoice')).status).toBe(200);
    await t.request('POST', '/reconcile/run', { headers: admin });
    expect(await getInvoice(inv)).toMatchObject({ status: 'pending', amount_paid: '0.00' });
    expect(await reasonOf(id)).toBe('unknown_invoice');
  });

  it.each<[string, (ids: Record<string, string>) => Record<string, unknown>, number, string]>([
    ['an unknown transaction', (i) => ({ ...i, transaction_id: randomUUID() }), 404, 'not-found'],
    ['an unknown invoice', (i) => ({ ...i, invoice_id: randomUUID() }), 404, 'not-found'],
    ['more than is outstanding', (i) => ({ ...i, amount: '60.01' }), 409, 'allocation-too-large'],
    ['more decimals than NGN has', (i) => ({ ...i, amount: '1.001' }), 400, 'validation-error'],
    [
      'no note',
      (i) => ({ transaction_id: i.transaction_id, invoice_id: i.invoice_id }),
      400,
      'validation-error',
    ],
  ])('refuses %s', async (_name, body, status, type) => {
    const inv = await invoice(`MAN-E-${randomUUID().slice(0, 8)}`, '60.00');
    const id = await tx('100.00', null);
    const res = await match(body({ transaction_id: id, invoice_id: inv, note: 'n' }));
    expect(res.status).toBe(status);
    expect(res.body.type).toBe(`/problems/${type}`);
  });

  it('refuses a cancelled invoice, another currency, and a viewer', async () => {
    const cancelled = await invoice('MAN-C', '10.00');
    await t.request('POST', `/invoices/${cancelled}/cancel`, { headers: admin });
    const usd = await invoice('MAN-USD', '10.00', 'USD');
    const id = await tx('10.00', null);
    expect((await match({ transaction_id: id, invoice_id: cancelled, note: 'n' })).body.type).toBe(
      '/problems/invoice-cancelled',
    );
    expect((await match({ transaction_id: id, invoice_id: usd, note: 'n' })).body.type).toBe(
      '/problems/currency-mismatch',
    );
    const viewer = await t.request('POST', '/api-keys', {
      headers: admin,
      json: { name: 'v', role: 'viewer' },
    });
    const res = await match(
      { transaction_id: id, invoice_id: usd, note: 'n' },
      bearer(viewer.body.key),
    );
    expect(res.status).toBe(403);
    // An invoice with live allocations cannot be cancelled.
    const paid = await invoice('MAN-P', '10.00');
    await match({ transaction_id: id, invoice_id: paid, note: 'n' });
    const cancel = await t.request('POST', `/invoices/${paid}/cancel`, { headers: admin });
    expect(cancel.status).toBe(409);
  });

  it('GET /stats counts and sums by status, currency and match status, with the last run', async () => {
    const res = await t.request('GET', '/stats', { headers: admin });
    expect(res.status).toBe(200);
    const [{ count }] = await query<{ count: string }>(
      t.databaseUrl,
      'SELECT count(*) FROM transactions',
    );
    const txCount = res.body.transactions.reduce(
      (n: number, r: { count: number }) => n + r.count,
      0,
    );
    expect(txCount).toBe(Number(count));
    expect(res.body.transactions[0]).toEqual({
      status: expect.any(String),
      match_status: expect.any(String),
      currency: 'NGN',
      count: expect.any(Number),
      amount: expect.stringMatching(/^\d+\.\d{2}$/),
      unallocated_amount: expect.stringMatching(/^\d+\.\d{2}$/),
    });
    expect(res.body.invoices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          status: 'cancelled',
          currency: 'NGN',
          amount_outstanding: '0.00',
        }),
        expect.objectContaining({ status: 'pending', currency: 'USD', amount_due: '10.00' }),
      ]),
    );
    expect(res.body.exceptions).toEqual(
      expect.arrayContaining([{ reason: 'unknown_invoice', count: expect.any(Number) }]),
    );
    expect(res.body.last_run).toMatchObject({ status: 'succeeded', trigger: 'manual' });
  });
});
