/** Part 3: reconciliation at n transactions against the same work done set-based in SQL. */
import { performance } from 'node:perf_hooks';
import { http, log, memOf, resetPeak, round, rssSampler } from './util';
import { SIZES, ADMIN_KEY } from './settings';
import { Service, withDb } from './processes';

export const RESET_SQL = `TRUNCATE write_offs, suggestions, suggestion_declines, party_accounts,
  invoice_near_keys, transaction_matches, transaction_exceptions, reconciliation_runs,
  invoices, transactions, webhook_events`;

// n invoices INV-0000001.., n PROCESSED credit transactions naming one each: 9 in 10 pay the
// invoice exactly, 1 in 10 pays half (a partial payment). Arrival order = number order.
export const GENERATE_SQL = [
  `INSERT INTO invoices (invoice_number, normalized_number, customer, currency, amount_due)
   SELECT 'INV-' || lpad(g::text, 7, '0'), 'inv' || lpad(g::text, 7, '0'),
          'Customer ' || (g % 1000), 'NGN', 5000 + (g % 100) * 10
     FROM generate_series(1, $1::int) AS g`,
  `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                             reference, description, counterparty, source, status,
                             unallocated_amount, processed_at, created_at, updated_at)
   SELECT 'default', 'rb-' || g, a, 'NGN', 'credit', timestamptz '2026-02-27 12:00:00Z',
          'INV-' || lpad(g::text, 7, '0'), 'Payment', 'Customer ' || (g % 1000), 'webhook',
          'PROCESSED', a, now(), timestamptz '2026-03-01 00:00:00Z' + g * interval '1 millisecond',
          now()
     FROM generate_series(1, $1::int) AS g,
          LATERAL (SELECT CASE WHEN g % 10 = 0 THEN (5000 + (g % 100) * 10) / 2.0
                               ELSE 5000 + (g % 100) * 10 END AS a) AS amt`,
];

// The limit: one set-based statement doing the single-invoice rule (exact or partial payment by
// normalized reference): allocations inserted, transactions and invoices updated. It assumes
// what the generated data guarantees (one transaction per invoice, the reference holds only
// the number); the service handles the general case (several texts, several invoices, races).
export const MATCH_SQL = `
WITH cand AS (
  SELECT t.id AS tid, i.id AS iid, t.currency, t.unallocated_amount AS un,
         i.amount_due, i.amount_paid,
         least(t.unallocated_amount, i.amount_due - i.amount_paid) AS amt
    FROM transactions t
    JOIN invoices i
      ON i.normalized_number = lower(regexp_replace(t.reference, '[[:space:]_/.-]+', '', 'g'))
   WHERE t.status = 'PROCESSED' AND t.direction = 'credit'
     AND t.bank_status IS DISTINCT FROM 'HELD' AND t.amount IS NOT NULL
     AND t.unallocated_amount > 0
     AND i.status IN ('pending', 'partially_paid') AND i.currency = t.currency
), m AS (
  INSERT INTO transaction_matches (transaction_id, invoice_id, amount, currency, rule, created_by)
  SELECT tid, iid, amt, currency, 'single', 'bench-sql' FROM cand
), ut AS (
  UPDATE transactions t
     SET unallocated_amount = c.un - c.amt,
         match_status = CASE WHEN c.un - c.amt = 0 THEN 'matched' ELSE 'partially_allocated' END,
         updated_at = now()
    FROM cand c WHERE t.id = c.tid
)
UPDATE invoices i
   SET amount_paid = c.amount_paid + c.amt,
       status = CASE WHEN c.amount_paid + c.amt >= c.amount_due THEN 'paid' ELSE 'partially_paid' END,
       updated_at = now()
  FROM cand c WHERE i.id = c.iid`;

export interface ReconcileRow {
  n: number;
  seconds: number;
  sql_seconds: number;
  ratio_to_sql: number;
  peak_rss_mb: number;
}

export interface ReconcileDetail {
  n: number;
  generate_s: number;
  sql_rows: number;
  matched: number;
  unmatched: number;
  status: string;
  ms_per_1k_tx: number;
  sql_ms_per_1k_tx: number;
  rss_before_mb: number;
  peak_from: string;
}

export async function reconcile(
  svc: Service,
): Promise<{ rows: ReconcileRow[]; details: ReconcileDetail[]; skipped: string | null }> {
  const rows: ReconcileRow[] = [];
  const details: ReconcileDetail[] = [];
  const auth = { authorization: `Bearer ${ADMIN_KEY}` };
  for (const n of SIZES) {
    const prep = await withDb(svc.dbUrl, async (c) => {
      await c.query(RESET_SQL);
      const t0 = performance.now();
      for (const sql of GENERATE_SQL) await c.query(sql, [n]);
      await c.query('VACUUM ANALYZE invoices');
      await c.query('VACUUM ANALYZE transactions');
      const generateS = (performance.now() - t0) / 1000;
      await c.query('CHECKPOINT');
      // The limit, timed inside a transaction that is rolled back: the service then sees the
      // same data.
      await c.query('BEGIN');
      const t1 = performance.now();
      const r = await c.query(MATCH_SQL);
      const sqlS = (performance.now() - t1) / 1000;
      await c.query('ROLLBACK');
      await c.query('VACUUM ANALYZE invoices');
      await c.query('VACUUM ANALYZE transactions');
      await c.query('VACUUM ANALYZE transaction_matches');
      await c.query('CHECKPOINT');
      return { generateS, sqlS, sqlRows: r.rowCount ?? 0 };
    });
    log(
      `reconcile n=${n}: data generated in ${prep.generateS.toFixed(1)} s; set-based SQL ` +
        `${prep.sqlS.toFixed(3)} s (${prep.sqlRows} invoices updated, rolled back)`,
    );
    const before = memOf(svc.child.pid)?.rss ?? 0;
    const peakReset = resetPeak(svc.child.pid);
    const sampler = rssSampler(svc.child.pid, 50);
    const t0 = performance.now();
    const res = await http('POST', `${svc.url}/reconcile/run`, auth);
    const seconds = (performance.now() - t0) / 1000;
    const sampled = sampler.stop();
    if (res.status === 404) {
      const why =
        'POST /reconcile/run answered 404: the reconciliation endpoint is not in this build';
      log(`${why}; part 3 skipped.`);
      return { rows, details, skipped: why };
    }
    if (res.status !== 200) {
      log(`POST /reconcile/run answered ${res.status}: ${res.body.slice(0, 500)}`);
      details.push({
        n,
        generate_s: round(prep.generateS, 1),
        sql_rows: prep.sqlRows,
        matched: 0,
        unmatched: 0,
        status: `http ${res.status}`,
        ms_per_1k_tx: 0,
        sql_ms_per_1k_tx: round((prep.sqlS / n) * 1e6, 2),
        rss_before_mb: round(before, 1),
        peak_from: 'n/a',
      });
      continue;
    }
    const run = JSON.parse(res.body) as {
      status?: string;
      matched_count?: number;
      unmatched_count?: number;
    };
    const hwm = peakReset ? (memOf(svc.child.pid)?.hwm ?? 0) : 0;
    const peak = Math.max(hwm, sampled);
    rows.push({
      n,
      seconds: round(seconds, 3),
      sql_seconds: round(prep.sqlS, 3),
      ratio_to_sql: round(seconds / prep.sqlS, 1),
      peak_rss_mb: round(peak, 1),
    });
    details.push({
      n,
      generate_s: round(prep.generateS, 1),
      sql_rows: prep.sqlRows,
      matched: run.matched_count ?? 0,
      unmatched: run.unmatched_count ?? 0,
      status: run.status ?? '?',
      ms_per_1k_tx: round((seconds / n) * 1e6, 2),
      sql_ms_per_1k_tx: round((prep.sqlS / n) * 1e6, 2),
      rss_before_mb: round(before, 1),
      peak_from: peakReset ? 'VmHWM after clear_refs, and 50 ms samples' : '50 ms samples',
    });
    log(
      `reconcile n=${n}: service ${seconds.toFixed(2)} s (${run.status}, matched ` +
        `${run.matched_count}, unmatched ${run.unmatched_count}), ${(seconds / prep.sqlS).toFixed(1)}x ` +
        `the SQL; peak RSS ${peak.toFixed(0)} MiB (before ${before.toFixed(0)})`,
    );
  }
  await withDb(svc.dbUrl, (c) => c.query(RESET_SQL));
  return { rows, details, skipped: null };
}
