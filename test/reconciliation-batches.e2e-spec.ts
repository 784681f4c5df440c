import { BATCH_SIZE } from '../src/reconciliation/match-engine';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';

/**
 * A run works through its candidates a batch at a time, two batches in flight (RunsService):
 * the newer batch must still see what the older one allocated. Own spec file, so that the
 * database holds only these candidates and the batch boundary is known.
 */
describe('reconciliation across batch boundaries', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('pays an invoice named in two batches oldest first, and keeps every invariant', async () => {
    const created = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: 'EDGE-1', amount_due: '100.00', currency: 'NGN' },
    });
    expect(created.status).toBe(201);
    const invoiceId: string = created.body.id;
    // Fillers that name no invoice (exceptions), then A as the last candidate of the first batch
    // and B as the first of the second: both pay 60 towards EDGE-1's 100.
    const fillers = BATCH_SIZE - 1;
    await query(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                                 reference, status, unallocated_amount, processed_at, created_at)
       SELECT 'default', 'filler-' || g, 10, 'NGN', 'credit', now(), 'no invoice here',
              'PROCESSED', 10, now(), timestamptz '2030-01-01Z' + g * interval '1 ms'
         FROM generate_series(1, $1::int) AS g`,
      [fillers],
    );
    const [a, b] = await query<{ id: string; external_id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                                 reference, status, unallocated_amount, processed_at, created_at)
       VALUES ('default', 'edge-a', 60, 'NGN', 'credit', now(), 'EDGE-1', 'PROCESSED', 60, now(),
               timestamptz '2030-01-01Z' + ($1::int + 1) * interval '1 ms'),
              ('default', 'edge-b', 60, 'NGN', 'credit', now(), 'EDGE-1', 'PROCESSED', 60, now(),
               timestamptz '2030-01-01Z' + ($1::int + 2) * interval '1 ms')
       RETURNING id, external_id`,
      [fillers],
    );
    expect([a.external_id, b.external_id]).toEqual(['edge-a', 'edge-b']);

    const run = await t.request('POST', '/reconcile/run', { headers: admin });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      status: 'succeeded',
      matched_count: 2,
      unmatched_count: fillers,
    });

    const allocations = await query<{ transaction_id: string; amount: string }>(
      t.databaseUrl,
      `SELECT transaction_id, amount::text FROM transaction_matches
        WHERE invoice_id = $1 AND reversed_at IS NULL ORDER BY created_at`,
      [invoiceId],
    );
    // The older transaction first, in full; the newer one gets what was left.
    expect(allocations).toEqual([
      { transaction_id: a.id, amount: '60.0000' },
      { transaction_id: b.id, amount: '40.0000' },
    ]);
    const invoice = await t.request('GET', `/invoices/${invoiceId}`, { headers: admin });
    expect(invoice.body).toMatchObject({ status: 'paid', amount_paid: '100.00' });
    const broken = await query<{ n: string }>(
      t.databaseUrl,
      `SELECT count(*) AS n FROM transactions t
        WHERE unallocated_amount <> amount - coalesce((SELECT sum(amount) FROM transaction_matches m
                                                      WHERE m.transaction_id = t.id
                                                        AND m.reversed_at IS NULL), 0)`,
    );
    expect(Number(broken[0].n)).toBe(0);
    const events = await query<{ type: string; n: string }>(
      t.databaseUrl,
      `SELECT type, count(*) AS n FROM outbox_events WHERE payload->>'id' = $1 GROUP BY type
        ORDER BY type`,
      [invoiceId],
    );
    expect(events).toEqual([
      { type: 'invoice.paid', n: '1' },
      { type: 'invoice.partially_paid', n: '1' },
    ]);
  });
});
