import { randomUUID } from 'node:crypto';
import { normalizeInvoiceNumber } from '../src/reconciliation/matcher';
import {
  TRANSACTION_MATCHER,
  type TransactionMatcher,
} from '../src/transactions/transaction-matcher';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';

const INVOICES = 200;

/** Invoices and transactions whose books disagree with their live allocations (both 0). */
const DRIFT = `(SELECT count(*) FROM invoices i WHERE i.amount_paid <> (
     SELECT coalesce(sum(amount), 0) FROM transaction_matches m
      WHERE m.invoice_id = i.id AND m.reversed_at IS NULL)) AS invoice_drift,
   (SELECT count(*) FROM transactions t WHERE t.amount - t.unallocated_amount <> (
     SELECT coalesce(sum(amount), 0) FROM transaction_matches m
      WHERE m.transaction_id = t.id AND m.reversed_at IS NULL)) AS transaction_drift,`;

/** Open NGN invoices of 1000 with these numbers. */
async function invoicesOf1000(t: TestApp, numbers: string[]): Promise<void> {
  await query(
    t.databaseUrl,
    `INSERT INTO invoices (invoice_number, normalized_number, currency, amount_due)
     SELECT n, k, 'NGN', 1000 FROM unnest($1::text[], $2::text[]) AS v(n, k)`,
    [numbers, numbers.map(normalizeInvoiceNumber)],
  );
}

/** Processed NGN credits of 600, one per reference, not yet matched; their ids. */
async function paymentsOf600(t: TestApp, refs: string[]): Promise<string[]> {
  const rows = await query<{ id: string }>(
    t.databaseUrl,
    `INSERT INTO transactions (bank_id, external_id, amount, currency, occurred_at, reference,
                               status, unallocated_amount, processed_at)
     SELECT 'default', e, 600, 'NGN', now(), r, 'PROCESSED', 600, now()
       FROM unnest($1::text[], $2::text[]) AS v(e, r) RETURNING id`,
    [refs.map(() => `txn_${randomUUID()}`), refs],
  );
  return rows.map((r) => r.id);
}

describe('concurrent reconciliation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('five concurrent runs and real-time matchers over 200 invoices never allocate twice', async () => {
    const numbers = Array.from({ length: INVOICES }, (_, i) => `CC-${i}`);
    await invoicesOf1000(t, numbers);
    // Two payments of 600 name each invoice of 1000: whoever comes first gets 600, the other
    // 400, and 200 stays unallocated (overpayment) on one of them. Every other payment names two
    // invoices and so competes with the single payments of both.
    const refs = numbers.flatMap((n, i) => [n, i % 2 === 0 ? `${n} ${numbers[i + 1]}` : n]);
    const ids = await paymentsOf600(t, refs);

    const matcher = t.app.get<TransactionMatcher>(TRANSACTION_MATCHER);
    const shuffled = () => [...ids].sort(() => Math.random() - 0.5);
    const [runs] = await Promise.all([
      Promise.all(
        Array.from({ length: 5 }, () =>
          t.request('POST', '/reconcile/run', { headers: bearer(ADMIN_KEY) }),
        ),
      ),
      Promise.all(Array.from({ length: 5 }, () => matcher.matchTransactions(shuffled()))),
    ]);

    const statuses = runs.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    for (const res of runs.filter((r) => r.status !== 200)) {
      expect(res.status).toBe(409);
      expect(res.body.detail).toMatch(/in progress|starting/);
    }

    const [books] = await query<Record<string, string>>(
      t.databaseUrl,
      `SELECT
         (SELECT count(*) FROM invoices WHERE amount_paid > amount_due) AS over_invoices,
         (SELECT count(*) FROM invoices WHERE status <> 'paid') AS unpaid_invoices,
         ${DRIFT}
         (SELECT sum(amount) FROM transaction_matches WHERE reversed_at IS NULL) AS allocated,
         (SELECT sum(unallocated_amount) FROM transactions) AS unallocated`,
    );
    expect(books).toEqual({
      over_invoices: '0',
      unpaid_invoices: '0',
      invoice_drift: '0',
      transaction_drift: '0',
      allocated: '200000.0000',
      unallocated: '40000.0000',
    });
    // The runs that lost the race, or came after, found nothing left to do.
    const again = await t.request('POST', '/reconcile/run', { headers: bearer(ADMIN_KEY) });
    expect(again.body.matched_count).toBe(0);
  }, 60_000);

  it('one-transaction matchers racing for the same invoices never lose an allocation', async () => {
    // Disjoint transactions, shared invoices: only the invoice row locks keep two matchers from
    // both reading an invoice as unpaid. (Above, every unit names all transactions, so they
    // queue on the transaction locks first and never race on an invoice.)
    const numbers = Array.from({ length: 50 }, (_, i) => `RACE-${i}`);
    await invoicesOf1000(t, numbers);
    const refs = numbers.flatMap((n) => [n, n, n]); // three payments of 600 per invoice of 1000
    const ids = await paymentsOf600(t, refs);
    const matcher = t.app.get<TransactionMatcher>(TRANSACTION_MATCHER);
    // Eight lanes, dealt round-robin so the three payments of one invoice race in three lanes.
    // Not 150 at once: those would queue on the pool of 20 and, on a loaded machine, outwait its
    // connection timeout (3 s) — a test of the pool, not of the invoice locks.
    const lanes = Array.from({ length: 8 }, (_, lane) => ids.filter((_, i) => i % 8 === lane));
    await Promise.all(
      lanes.map(async (lane) => {
        for (const id of lane) await matcher.matchTransactions([id]);
      }),
    );

    const [books] = await query<Record<string, string>>(
      t.databaseUrl,
      `SELECT
         (SELECT count(*) FROM invoices WHERE invoice_number LIKE 'RACE-%' AND status <> 'paid')
           AS unpaid_invoices,
         ${DRIFT}
         (SELECT sum(m.amount) FROM transaction_matches m JOIN invoices i ON i.id = m.invoice_id
           WHERE i.invoice_number LIKE 'RACE-%' AND m.reversed_at IS NULL) AS allocated`,
    );
    expect(books).toEqual({
      unpaid_invoices: '0',
      invoice_drift: '0',
      transaction_drift: '0',
      allocated: '50000.0000',
    });
  }, 60_000);
});
