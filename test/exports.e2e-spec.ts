import { parse } from 'csv-parse/sync';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { matchesExportSql } from '../src/reconciliation/reconciliation.exports';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';

describe('streamed exports', () => {
  let t: TestApp;
  let viewer: Record<string, string>;
  const admin = bearer(ADMIN_KEY);
  let runId: string;
  let paidInvoice: string;

  async function tx(
    amount: string,
    reference: string | null,
    description: string | null,
    bank = 'default',
    currency = 'NGN',
  ): Promise<string> {
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, occurred_at, reference,
                                 description, status, unallocated_amount, processed_at)
       VALUES ($1, $2, $3, $4, '2026-02-27T12:00:00Z', $5, $6, 'PROCESSED', $3, now()) RETURNING id`,
      [bank, `txn_${randomUUID()}`, amount, currency, reference, description],
    );
    return row.id;
  }
  async function invoice(number: string, amount: string, customer?: string, currency = 'NGN') {
    const res = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: number, amount_due: amount, currency, customer },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  const get = (path: string) => t.request('GET', path, { headers: viewer });
  const csv = (text: string) =>
    parse<Record<string, string>>(text, { columns: true, record_delimiter: '\r\n' });
  const jsonl = (text: string) =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    t = await startTestApp();
    viewer = bearer(
      (
        await t.request('POST', '/api-keys', {
          headers: admin,
          json: { name: 'viewer-vic', role: 'viewer' },
        })
      ).body.key,
    );
    await t.request('POST', '/banks', {
      headers: admin,
      json: { id: 'other', name: 'Other', signature_scheme: 'hmac-sha256', secrets: ['s3cret-x'] },
    });
    paidInvoice = await invoice('EXP-1', '5000.00', '=cmd|" /C calc"!A0');
    await invoice('EXP-2', '1.000', 'Kuwait Co', 'KWD');
    await invoice('EXP-3', '70.00', '@SUM(1+1)');
    await tx('5000.00', 'EXP-1', 'Transfer, "quoted"\nsecond line');
    await tx('12.50', '+1-555-0100', '-2+3');
    await tx('13.00', '\tTAB', '\rCR', 'other');
    await tx('14.00', 'EXP-404', 'naïve café ✓ \\ backslash');
    const run = await t.request('POST', '/reconcile/run', { headers: admin });
    expect(run.status).toBe(200);
    runId = run.body.id;
  });
  afterAll(async () => {
    await t.close();
  });

  it('exports the matches as RFC 4180 CSV with a file name, amounts as decimal strings', async () => {
    const res = await get('/reconcile/matches/export?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="matches-\d{8}T\d{6}Z\.csv"$/,
    );
    expect(res.text.split('\r\n')[0]).toBe(
      'id,transaction_id,invoice_id,invoice_number,amount,currency,rule,run_id,created_by,note,' +
        'created_at,live,reversed_at,reversed_by,reversal_reason',
    );
    expect(res.text.endsWith('\r\n')).toBe(true);
    const rows = csv(res.text);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      invoice_id: paidInvoice,
      invoice_number: 'EXP-1',
      amount: '5000.00',
      currency: 'NGN',
      rule: 'single',
      run_id: runId,
      created_by: 'system',
      live: 'true',
      reversed_at: '',
    });
    // The same fields as the API's allocation answer.
    const api = (await t.request('GET', `/invoices/${paidInvoice}`, { headers: viewer })).body
      .allocations[0];
    expect(rows[0].id).toBe(api.id);
    expect(rows[0].created_at).toBe(api.created_at);
  });

  it('exports the matches as JSON lines with the list filters', async () => {
    const res = await get(`/reconcile/matches/export?format=jsonl&run_id=${runId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('content-disposition')).toMatch(/filename="matches-.*\.jsonl"/);
    const [row] = jsonl(res.text);
    const api = (await t.request('GET', `/invoices/${paidInvoice}`, { headers: viewer })).body
      .allocations[0];
    expect(row).toEqual(api);
    const none = await get(`/reconcile/matches/export?format=jsonl&run_id=${randomUUID()}`);
    expect(none.text).toBe('');
    const bad = await get('/reconcile/matches/export?run_id=nope');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('guards text cells against formula injection; amounts stay plain', async () => {
    const res = await get('/reconcile/exceptions/export');
    expect(res.status).toBe(200);
    const rows = csv(res.text);
    const byAmount = new Map(rows.map((r) => [r.amount, r]));
    expect(byAmount.get('12.50')).toMatchObject({
      reference: "'+1-555-0100",
      description: "'-2+3",
      unallocated_amount: '12.50',
    });
    expect(byAmount.get('13.00')).toMatchObject({ reference: "'\tTAB", description: "'\rCR" });
    expect(byAmount.get('14.00')).toMatchObject({
      reference: 'EXP-404',
      description: 'naïve café ✓ \\ backslash',
      reason: 'unknown_invoice',
    });

    const invoices = csv((await get('/invoices/export?format=csv')).text);
    const customers = new Map(invoices.map((r) => [r.invoice_number, r.customer]));
    expect(customers.get('EXP-1')).toBe(`'=cmd|" /C calc"!A0`);
    expect(customers.get('EXP-3')).toBe("'@SUM(1+1)");
    expect(invoices.find((r) => r.invoice_number === 'EXP-2')).toMatchObject({
      amount_due: '1.000',
      amount_outstanding: '1.000',
      currency: 'KWD',
    });
  });

  it('writes exact text in JSON lines (no guard, backslashes and line breaks as JSON)', async () => {
    const rows = jsonl((await get('/reconcile/exceptions/export?format=jsonl')).text);
    const api = (await get('/reconcile/exceptions?limit=500')).body.data;
    expect(rows).toEqual(api);
    const other = jsonl((await get('/reconcile/exceptions/export?format=jsonl&bank=other')).text);
    expect(other.map((r) => r.bank_id)).toEqual(['other']);
    expect(other[0]).toMatchObject({ reference: '\tTAB', description: '\rCR' });
  });

  it('exports invoices with the list filters, equal to the list', async () => {
    const rows = jsonl((await get('/invoices/export?format=jsonl&status=paid')).text);
    expect(rows).toEqual((await get('/invoices?status=paid')).body.data);
    const one = jsonl((await get('/invoices/export?format=jsonl&number=exp%203')).text);
    expect(one.map((r) => r.invoice_number)).toEqual(['EXP-3']);
    expect((await get('/invoices/export?format=xml')).status).toBe(400);
  });

  it('exports the audit log, the same entries as the list, ready to recompute', async () => {
    const res = await get('/audit/export?format=jsonl&entity=invoice');
    expect(res.headers.get('content-disposition')).toMatch(/filename="audit-.*\.jsonl"/);
    const rows = jsonl(res.text);
    const api = (await get('/audit?entity=invoice&limit=500')).body.data;
    expect(rows).toEqual(api);
    expect(rows.every((r) => typeof r.seq === 'number' && typeof r.hash === 'string')).toBe(true);
    const asCsv = csv((await get('/audit/export?entity=invoice')).text);
    expect(asCsv.map((r) => r.id)).toEqual(api.map((e: { id: string }) => e.id));
    expect(JSON.parse(asCsv[0].data)).toEqual(api[0].data);
    expect((await t.request('GET', '/audit/export')).status).toBe(401);
  });

  it('may be formatted by parallel workers: the statement is parallel safe, its output the same', async () => {
    const statement = matchesExportSql({ format: 'csv' });
    const select = /^COPY \((.*)\) TO STDOUT/s.exec(statement)?.[1] as string;
    const db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    try {
      // A handful of rows: parallel plans only where the costs say so, forced here.
      await db.query(`SET parallel_setup_cost = 0`);
      await db.query(`SET parallel_tuple_cost = 0`);
      await db.query(`SET min_parallel_table_scan_size = 0`);
      const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${select}`);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Gather/);
      const parallel = await db.query(select);
      await db.query(`SET max_parallel_workers_per_gather = 0`);
      const serial = await db.query(select);
      expect(parallel.rows.length).toBeGreaterThan(0);
      expect(parallel.rows).toEqual(serial.rows);
    } finally {
      await db.end();
    }
  });
});
