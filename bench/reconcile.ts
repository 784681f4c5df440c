/** Part 3: reconciliation at n transactions against the same work done set-based in SQL. */
import { performance } from 'node:perf_hooks';
import { http, log, memOf, resetPeak, round, rssSampler } from './util';
import { SIZES, ADMIN_KEY } from './settings';
import { Service, withDb } from './processes';
import { GENERATE_SQL, MATCH_SQL, RESET_SQL } from './reconcile-data';

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
