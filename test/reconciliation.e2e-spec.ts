import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { RUN_LOCK_KEY } from '../src/reconciliation/runs.service';
import {
  TRANSACTION_MATCHER,
  type TransactionMatcher,
} from '../src/transactions/transaction-matcher';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { eventually } from './support/webhooks';

interface TxInput {
  amount: string;
  currency?: string;
  reference?: string | null;
  description?: string | null;
  raw_text?: string | null;
  direction?: 'credit' | 'debit';
  bank_status?: string | null;
}

describe('reconciliation', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);

  // Transactions are inserted as background processing leaves them: PROCESSED, all unallocated.
  async function tx(input: TxInput): Promise<string> {
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                                 reference, description, raw_text, status, bank_status,
                                 unallocated_amount, processed_at)
       VALUES ('default', $1, $2, $3, $4, now(), $5, $6, $7, 'PROCESSED', $8, $2, now())
       RETURNING id`,
      [
        `txn_${randomUUID()}`,
        input.amount,
        input.currency ?? 'NGN',
        input.direction ?? 'credit',
        input.reference ?? null,
        input.description ?? null,
        input.raw_text ?? null,
        input.bank_status ?? null,
      ],
    );
    return row.id;
  }

  async function invoice(number: string, amount: string, currency = 'NGN'): Promise<string> {
    const res = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: number, amount_due: amount, currency },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const run = () => t.request('POST', '/reconcile/run', { headers: admin });
  const getInvoice = async (id: string) =>
    (await t.request('GET', `/invoices/${id}`, { headers: admin })).body;
  const getTx = async (id: string) =>
    (
      await query<{ unallocated_amount: string; match_status: string }>(
        t.databaseUrl,
        'SELECT unallocated_amount, match_status FROM transactions WHERE id = $1',
        [id],
      )
    )[0];
  async function exceptionOf(id: string): Promise<string | null> {
    const rows = await query<{ reason: string }>(
      t.databaseUrl,
      'SELECT reason FROM transaction_exceptions WHERE transaction_id = $1',
      [id],
    );
    return rows[0]?.reason ?? null;
  }

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  afterEach(async () => {
    // Every test leaves the books consistent: materialized sums equal the live allocations.
    const drift = await query(
      t.databaseUrl,
      `SELECT i.id FROM invoices i LEFT JOIN (
           SELECT invoice_id, sum(amount) AS s FROM transaction_matches
            WHERE reversed_at IS NULL GROUP BY invoice_id) m ON m.invoice_id = i.id
        WHERE i.amount_paid <> coalesce(m.s, 0)
       UNION ALL
       SELECT t.id FROM transactions t LEFT JOIN (
           SELECT transaction_id, sum(amount) AS s FROM transaction_matches
            WHERE reversed_at IS NULL GROUP BY transaction_id) m ON m.transaction_id = t.id
        WHERE t.amount IS NOT NULL AND t.amount - t.unallocated_amount <> coalesce(m.s, 0)`,
    );
    expect(drift).toEqual([]);
  });

  it('reports each exception reason, one per transaction, filterable', async () => {
    const paid = await invoice('EX-PAID', '100.00');
    await invoice('EX-OPEN-1', '100.00');
    await invoice('EX-OPEN-2', '100.00');
    const cancelled = await invoice('EX-CANCEL', '100.00');
    await invoice('EX-USD', '100.00', 'USD');
    await invoice('EX-OVER', '100.00');
    await t.request('POST', `/invoices/${cancelled}/cancel`, { headers: admin });
    await tx({ amount: '100.00', reference: 'EX-PAID' });
    expect((await run()).status).toBe(200);
    expect((await getInvoice(paid)).status).toBe('paid');

    const expected: Record<string, string> = {
      [await tx({ amount: '5.00', reference: null, description: 'Transfer' })]: 'no_reference',
      [await tx({ amount: '5.00', reference: 'EX-NOPE-9' })]: 'unknown_invoice',
      [await tx({ amount: '5.00', reference: 'EX-USD' })]: 'currency_mismatch',
      [await tx({ amount: '5.00', reference: 'ex cancel' })]: 'invoice_cancelled',
      [await tx({ amount: '5.00', reference: 'EX_PAID' })]: 'invoice_already_paid',
      [await tx({ amount: '150.00', reference: 'EX-OPEN-1 EX-OPEN-2' })]: 'ambiguous',
      [await tx({ amount: '150.00', reference: 'EX-OVER' })]: 'overpayment',
    };
    const res = await run();
    expect(res.status).toBe(200);
    for (const [id, reason] of Object.entries(expected)) {
      expect([id, await exceptionOf(id)]).toEqual([id, reason]);
    }

    const list = await t.request('GET', '/reconcile/exceptions?limit=500', { headers: admin });
    expect(list.status).toBe(200);
    const ids = list.body.data.map((e: { transaction_id: string }) => e.transaction_id);
    expect(new Set(ids).size).toBe(ids.length);
    const over = list.body.data.find(
      (e: { reason: string; reference: string }) => e.reference === 'EX-OVER',
    );
    expect(over).toMatchObject({
      reason: 'overpayment',
      bank_id: 'default',
      amount: '150.00',
      unallocated_amount: '50.00',
      currency: 'NGN',
    });
    expect(typeof over.external_id).toBe('string');
    const ambiguous = await t.request('GET', '/reconcile/exceptions?reason=ambiguous', {
      headers: admin,
    });
    expect(ambiguous.body.data).toHaveLength(1);
    expect(ambiguous.body.data[0].reference).toBe('EX-OPEN-1 EX-OPEN-2');
    const otherBank = await t.request('GET', '/reconcile/exceptions?bank=nope', { headers: admin });
    expect(otherBank.body.data).toEqual([]);
    expect(
      (await t.request('GET', '/reconcile/exceptions?reason=bogus', { headers: admin })).status,
    ).toBe(400);
  });

  it('accumulates partial payments, then leaves a surplus unallocated', async () => {
    const inv = await invoice('PART-1', '5000.00');
    const a = await tx({ amount: '2000.00', reference: 'part 1' });
    await run();
    expect(await getInvoice(inv)).toMatchObject({
      status: 'partially_paid',
      amount_paid: '2000.00',
      amount_outstanding: '3000.00',
    });
    expect(await getTx(a)).toEqual({ unallocated_amount: '0.0000', match_status: 'matched' });
    const b = await tx({ amount: '3500.00', description: 'for PART-1, thanks' });
    const second = await run();
    expect(second.body.matched_transaction_ids).toEqual([b]);
    const body = await getInvoice(inv);
    expect(body).toMatchObject({
      status: 'paid',
      amount_paid: '5000.00',
      amount_outstanding: '0.00',
    });
    expect(body.allocations.map((m: { amount: string }) => m.amount)).toEqual([
      '2000.00',
      '3000.00',
    ]);
    expect(await getTx(b)).toEqual({
      unallocated_amount: '500.0000',
      match_status: 'partially_allocated',
    });
    expect(await exceptionOf(b)).toBe('overpayment');
    // One event per status change, written by the batch that made it, in the API's shape.
    const events = await query<{ type: string; paid: string; status: string }>(
      t.databaseUrl,
      `SELECT type, payload->>'amount_paid' AS paid, payload->>'status' AS status FROM outbox_events
        WHERE type LIKE 'invoice.%' AND payload->>'id' = $1 ORDER BY created_at`,
      [inv],
    );
    expect(events).toEqual([
      { type: 'invoice.partially_paid', paid: '2000.00', status: 'partially_paid' },
      { type: 'invoice.paid', paid: '5000.00', status: 'paid' },
    ]);
  });

  it('writes no second event when a partially paid invoice stays partially paid', async () => {
    const inv = await invoice('PART-2', '5000.00');
    await tx({ amount: '1000.00', reference: 'PART-2' });
    await run();
    await tx({ amount: '1500.00', reference: 'PART-2' });
    await run();
    expect(await getInvoice(inv)).toMatchObject({
      status: 'partially_paid',
      amount_paid: '2500.00',
    });
    const events = await query<{ type: string; paid: string }>(
      t.databaseUrl,
      `SELECT type, payload->>'amount_paid' AS paid FROM outbox_events
        WHERE type LIKE 'invoice.%' AND payload->>'id' = $1`,
      [inv],
    );
    expect(events).toEqual([{ type: 'invoice.partially_paid', paid: '1000.00' }]);
  });

  it('pays several invoices only when the amount is their exact sum', async () => {
    const x = await invoice('MULTI-1', '100.00');
    const y = await invoice('MULTI-2', '250.50');
    const id = await tx({ amount: '350.50', reference: 'MULTI-2 / MULTI-1' });
    await run();
    expect((await getInvoice(x)).status).toBe('paid');
    expect((await getInvoice(y)).status).toBe('paid');
    expect(await getTx(id)).toMatchObject({ match_status: 'matched' });
    const [rule] = await query<{ rule: string }>(
      t.databaseUrl,
      'SELECT DISTINCT rule FROM transaction_matches WHERE transaction_id = $1',
      [id],
    );
    expect(rule.rule).toBe('multi');
  });

  it('ignores debits and HELD transactions, and whole-token mismatches', async () => {
    const inv = await invoice('TOK-1', '10.00');
    const debit = await tx({ amount: '10.00', reference: 'TOK-1', direction: 'debit' });
    const held = await tx({ amount: '10.00', reference: 'TOK-1', bank_status: 'HELD' });
    const longer = await tx({ amount: '10.00', reference: 'TOK-11' });
    await run();
    expect((await getInvoice(inv)).status).toBe('pending');
    expect(await exceptionOf(debit)).toBeNull();
    expect(await exceptionOf(held)).toBeNull();
    expect(await exceptionOf(longer)).toBe('unknown_invoice');
  });

  it('a re-run with nothing new matches nothing and changes nothing', async () => {
    await invoice('RERUN-1', '10.00');
    await tx({ amount: '12.00', reference: 'RERUN-1' });
    await run();
    // Suggestions are computed in the background after a run; let them settle first.
    await eventually(async () => {
      const [due] = await query<{ n: number }>(
        t.databaseUrl,
        `SELECT count(*)::int AS n FROM transaction_exceptions WHERE suggested_at IS NULL`,
      );
      return due.n === 0 ? true : undefined;
    });
    const snapshot = () =>
      query(
        t.databaseUrl,
        `SELECT (SELECT json_agg(x ORDER BY x.id) FROM transaction_matches x) AS m,
                (SELECT json_agg(x ORDER BY x.transaction_id) FROM transaction_exceptions x) AS e,
                (SELECT json_agg(x ORDER BY x.id) FROM invoices x) AS i,
                (SELECT json_agg(x ORDER BY x.id) FROM transactions x) AS t`,
      );
    const before = await snapshot();
    const again = await run();
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      trigger: 'manual',
      status: 'succeeded',
      pulled_count: 0,
      matched_count: 0,
      matched_transaction_ids: [],
      ids_truncated: false,
      banks: [],
    });
    expect(again.body.unmatched_count).toBe(again.body.unmatched_transaction_ids.length);
    expect(await snapshot()).toEqual(before);
  });

  it('lists runs and the allocations of a run', async () => {
    await invoice('RUNS-1', '10.00');
    const id = await tx({ amount: '10.00', reference: 'RUNS-1' });
    const res = await run();
    expect(res.body.matched_transaction_ids).toEqual([id]);
    const one = await t.request('GET', `/reconcile/runs/${res.body.id}`, { headers: admin });
    expect(one.body).toEqual(res.body);
    const matches = await t.request('GET', `/reconcile/runs/${res.body.id}/matches`, {
      headers: admin,
    });
    expect(matches.body.data).toEqual([
      expect.objectContaining({
        transaction_id: id,
        invoice_number: 'RUNS-1',
        amount: '10.00',
        rule: 'single',
        run_id: res.body.id,
        created_by: 'system',
        live: true,
      }),
    ]);
    const list = await t.request('GET', '/reconcile/runs?limit=1', { headers: admin });
    expect(list.body.data[0].id).toBe(res.body.id);
    expect(list.body.next_cursor).toEqual(expect.any(String));
    const next = await t.request('GET', `/reconcile/runs?limit=1&cursor=${list.body.next_cursor}`, {
      headers: admin,
    });
    expect(next.body.data[0].id).not.toBe(res.body.id);
    const missing = randomUUID();
    expect((await t.request('GET', `/reconcile/runs/${missing}`, { headers: admin })).status).toBe(
      404,
    );
  });

  it('answers 409 naming the run in progress', async () => {
    const holder = new Client({ connectionString: t.databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [RUN_LOCK_KEY]);
      const [running] = (
        await holder.query<{ id: string }>(
          `INSERT INTO reconciliation_runs (trigger, status, matched_transaction_ids,
                                            unmatched_transaction_ids, banks)
           VALUES ('scheduled', 'running', '{}', '{}', '[]') RETURNING id`,
        )
      ).rows;
      const res = await run();
      expect(res.status).toBe(409);
      expect(res.body.type).toBe('/problems/run-in-progress');
      expect(res.body.detail).toContain(running.id);
      expect(res.body.running_run_id).toBe(running.id);
    } finally {
      await holder.end(); // the lock goes with the session, as when an instance dies
    }
    // The next run finds the abandoned row, marks it failed and proceeds.
    const res = await run();
    expect(res.status).toBe(200);
    const stale = await query<{ status: string }>(
      t.databaseUrl,
      `SELECT status FROM reconciliation_runs WHERE trigger = 'scheduled'`,
    );
    expect(stale).toEqual([{ status: 'failed' }]);
  });

  it('matches in real time through TRANSACTION_MATCHER and reverses when the bank deletes', async () => {
    const matcher = t.app.get<TransactionMatcher>(TRANSACTION_MATCHER);
    const inv = await invoice('RT-1', '40.00');
    const id = await tx({ amount: '40.00', reference: 'RT-1' });
    await matcher.matchTransactions([id]);
    expect((await getInvoice(inv)).status).toBe('paid');
    await query(t.databaseUrl, `UPDATE transactions SET status = 'VOIDED' WHERE id = $1`, [id]);
    await matcher.reverseAllocations(id, 'deleted by bank');
    const body = await getInvoice(inv);
    expect(body).toMatchObject({ status: 'pending', amount_paid: '0.00' });
    expect(body.allocations).toEqual([
      expect.objectContaining({
        live: false,
        reversed_by: 'system',
        reversal_reason: 'deleted by bank',
      }),
    ]);
    expect(await getTx(id)).toEqual({ unallocated_amount: '40.0000', match_status: 'unmatched' });
    await run();
    expect((await getInvoice(inv)).status).toBe('pending');
  });
});
