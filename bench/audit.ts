/**
 * `npm run bench -- --part audit` (issue 20), two measurements:
 *
 * 1. Export: N allocations (default 1 000 000, `--matches=`) as CSV through
 *    `GET /reconcile/matches/export`, against `COPY (SELECT …) TO STDOUT` of the same rows and
 *    columns, unformatted, read by this process (the floor: PostgreSQL writing CSV). Rounds
 *    alternate the two, so a slow minute of the shared host slows both; the figure is the ratio
 *    within a round. The service's RSS is sampled every 50 ms during each export (CSV, then JSONL).
 * 2. Audit write overhead: a reconciliation run of `--transactions=` (default 100 000) on this
 *    build against the build before the audit log (`--base=<checkout with dist/>`), both up at
 *    once, each on its own embedded PostgreSQL with the same generated data; the runs go one
 *    after the other, the order alternating by round, each once both services are idle (what a
 *    run leaves to the background, its events above all, would otherwise slow the next one).
 *    Also: how long after the run the chainer has linked every entry (background work).
 *
 * Options: --matches=1000000 --transactions=100000 --rounds=3 --base=<dir> (part 2 is skipped
 * without it). Writes bench/.work/audit.json; prints the figures for bench/RESULTS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { GENERATE_SQL, RESET_SQL } from './reconcile-data';
import {
  BENCH_ADMIN_KEY,
  BENCH_ROOT,
  BENCH_SECRET,
  BENCH_WORK,
  EMBEDDED_PG_PASSWORD,
  cliOption,
  cpuSeconds,
  http,
  log,
  memOf,
  postgresCpuSeconds,
  postmasterOf,
  round,
  rssSampler,
  sleep,
  startServiceBuild,
  stopChild,
  type Child,
} from './util';

const MATCHES = Number(cliOption('matches') ?? 1_000_000);
const TRANSACTIONS = Number(cliOption('transactions') ?? 100_000);
const ROUNDS = Number(cliOption('rounds') ?? 3);
const BASE = cliOption('base');
const AUTH = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };

interface Service {
  name: string;
  child: Child;
  url: string;
  db: Client;
  postmaster: number;
}

async function start(name: string, dir: string): Promise<Service> {
  const started = await startServiceBuild(
    dir,
    join(BENCH_WORK, `audit-${name}`),
    BENCH_SECRET,
    { ADMIN_API_KEY: BENCH_ADMIN_KEY, LOG_LEVEL: 'warn' },
    join(BENCH_WORK, `audit-${name}.log`),
  );
  const db = new Client({
    connectionString: `postgres://postgres:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${started.env.EMBEDDED_PG_PORT}/bank_sync`,
  });
  await db.connect();
  return {
    name,
    child: started.child,
    url: `http://127.0.0.1:${started.port}`,
    db,
    postmaster: postmasterOf(join(BENCH_WORK, `audit-${name}`)).pid,
  };
}

async function stop(s: Service): Promise<void> {
  await s.db.end();
  await stopChild(s.child);
}

// ---------------------------------------------------------------------------------------------
// 1. Export

/** Allocations straight into the tables (data generation, not what is measured). */
async function generateMatches(db: Client, n: number): Promise<void> {
  const invoices = Math.max(1, Math.floor(n / 10));
  await db.query('SET session_replication_role = replica'); // no FK checks for bulk load
  await db.query(
    `INSERT INTO invoices (id, invoice_number, normalized_number, customer, currency, amount_due)
     SELECT md5('inv' || g)::uuid, 'EXP-' || lpad(g::text, 7, '0'), 'exp' || lpad(g::text, 7, '0'),
            'Customer ' || g, 'NGN', 1000000
       FROM generate_series(1, $1::int) g`,
    [invoices],
  );
  await db.query(
    `INSERT INTO transactions (id, bank_id, external_id, amount, currency, direction, occurred_at,
                               reference, status, unallocated_amount, processed_at)
     SELECT md5('tx' || g)::uuid, 'default', 'exp-' || g, 1234.5, 'NGN', 'credit', now(),
            'EXP-' || lpad((1 + g % $2::int)::text, 7, '0'), 'PROCESSED', 0, now()
       FROM generate_series(1, $1::int) g`,
    [n, invoices],
  );
  // Text people write, some of it formula-looking, so the guard has work to do.
  await db.query(
    `INSERT INTO transaction_matches (transaction_id, invoice_id, amount, currency, rule,
                                      created_by, note, created_at)
     SELECT md5('tx' || g)::uuid, md5('inv' || (1 + g % $2::int))::uuid, 1234.5, 'NGN',
            CASE WHEN g % 7 = 0 THEN 'manual' ELSE 'single' END,
            CASE WHEN g % 7 = 0 THEN 'ops-alice' ELSE 'system' END,
            CASE WHEN g % 7 = 0 THEN '=confirmed, "by phone" ' || g END,
            timestamptz '2026-03-01 00:00:00Z' + g * interval '1 millisecond'
       FROM generate_series(1, $1::int) g`,
    [n, invoices],
  );
  await db.query('SET session_replication_role = origin');
  await db.query('VACUUM ANALYZE invoices, transactions, transaction_matches');
  await db.query('CHECKPOINT');
}

/** The floor: PostgreSQL's CSV of the same rows and columns, without our formatting or HTTP. */
const FLOOR_SQL = `COPY (SELECT m.id, m.transaction_id, m.invoice_id, i.invoice_number, m.amount,
    m.currency, m.rule, m.run_id, m.created_by, m.note, m.created_at, m.reversed_at IS NULL,
    m.reversed_at, m.reversed_by, m.reversal_reason
  FROM transaction_matches m JOIN invoices i ON i.id = m.invoice_id
  ORDER BY m.created_at, m.id) TO STDOUT WITH (FORMAT csv, HEADER true)`;

/** The statement the service runs for an unfiltered CSV export, from its build. */
function serviceSql(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build, not bench/'s sources
  const exports = require(
    join(BENCH_ROOT, 'dist/src/reconciliation/reconciliation.exports.js'),
  ) as {
    matchesExportSql(q: { format: 'csv' }): string;
  };
  return exports.matchesExportSql({ format: 'csv' });
}

async function copyFloor(db: Client, sql = FLOOR_SQL): Promise<{ seconds: number; bytes: number }> {
  const t0 = performance.now();
  let bytes = 0;
  const stream = db.query(copyTo(sql));
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

/** GET an export, reading (and dropping) the body as it comes. */
function download(url: string): Promise<{ seconds: number; bytes: number; status: number }> {
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const req = request(url, { headers: AUTH }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        done({ seconds: (performance.now() - t0) / 1000, bytes, status: res.statusCode ?? 0 }),
      );
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

/** One matches export over HTTP, the service's RSS sampled every 50 ms while it streams. */
async function sampledExport(s: Service, format: 'csv' | 'jsonl') {
  const sampler = rssSampler(s.child.pid, 50);
  const got = await download(`${s.url}/reconcile/matches/export?format=${format}`);
  const peakRss = sampler.stop();
  if (got.status !== 200) throw new Error(`${format} export answered ${got.status}`);
  return { ...got, peakRss };
}

async function exportBench(s: Service) {
  log(`audit bench: generating ${MATCHES} allocations`);
  const g0 = performance.now();
  await generateMatches(s.db, MATCHES);
  log(`audit bench: generated in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
  const rounds = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const floor = await copyFloor(s.db);
    // The service's own statement, read here: what is PostgreSQL's, and what the pipeline's.
    const same = await copyFloor(s.db, serviceSql());
    const before = memOf(s.child.pid)?.rss ?? 0;
    const csv = await sampledExport(s, 'csv');
    const jsonl = await sampledExport(s, 'jsonl');
    const row = {
      round: r,
      copy_s: round(floor.seconds, 2),
      copy_mb: round(floor.bytes / 2 ** 20, 1),
      copy_service_sql_s: round(same.seconds, 2),
      export_csv_s: round(csv.seconds, 2),
      export_csv_mb: round(csv.bytes / 2 ** 20, 1),
      ratio: round(csv.seconds / floor.seconds, 2),
      export_jsonl_s: round(jsonl.seconds, 2),
      rss_before_mb: round(before, 0),
      rss_peak_mb: round(csv.peakRss, 0),
      rss_peak_jsonl_mb: round(jsonl.peakRss, 0),
    };
    log(`audit bench export round ${r}: ${JSON.stringify(row)}`);
    rounds.push(row);
  }
  return rounds;
}

// ---------------------------------------------------------------------------------------------
// 2. Audit write overhead on a run

// The reconcile part's data (bench/reconcile-data.ts): n invoices, n transactions naming one
// each, 9 in 10 paying it exactly and 1 in 10 half.

async function prepareRun(s: Service): Promise<void> {
  await s.db.query(RESET_SQL);
  for (const sql of GENERATE_SQL) await s.db.query(sql, [TRANSACTIONS]);
  await s.db.query('VACUUM ANALYZE invoices, transactions');
  await s.db.query('CHECKPOINT');
}

async function timedRun(s: Service): Promise<number> {
  const t0 = performance.now();
  const res = await http('POST', `${s.url}/reconcile/run`, AUTH);
  const seconds = (performance.now() - t0) / 1000;
  if (res.status !== 200) throw new Error(`${s.name}: run answered ${res.status}`);
  const run = JSON.parse(res.body) as { matched_count: number };
  if (run.matched_count !== TRANSACTIONS) {
    throw new Error(`${s.name}: matched ${run.matched_count} of ${TRANSACTIONS}`);
  }
  return seconds;
}

/** Seconds from now until every audit entry is chained (the chainer works in the background). */
async function chainCatchUp(s: Service): Promise<{ seconds: number; unchained_at_end: number }> {
  const t0 = performance.now();
  const count = async () =>
    Number(
      (
        await s.db.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM audit_log) - (SELECT count(*) FROM audit_chain) AS n`,
        )
      ).rows[0].n,
    );
  const atEnd = await count();
  while ((await count()) > 0) await sleep(50);
  return { seconds: (performance.now() - t0) / 1000, unchained_at_end: atEnd };
}

/** CPU seconds both services (Node and PostgreSQL) used so far. */
function cpuOf(services: Service[]): number {
  return services.reduce(
    (sum, s) => sum + (cpuSeconds(s.child.pid) ?? 0) + postgresCpuSeconds(s.postmaster),
    0,
  );
}

/**
 * Waits until both services are idle (under 3 % of a core together for half a second): what a
 * run leaves behind (the relay's events of its paid invoices, suggestions for its exceptions)
 * must not run during the other service's timed run. Seconds waited.
 */
async function settle(services: Service[]): Promise<number> {
  const t0 = performance.now();
  for (let before = cpuOf(services); performance.now() - t0 < 300_000;) {
    await sleep(500);
    const now = cpuOf(services);
    if (now - before < 0.015) break;
    before = now;
  }
  return (performance.now() - t0) / 1000;
}

async function overheadBench(base: Service, self: Service) {
  const rounds = [];
  for (let r = 1; r <= ROUNDS; r++) {
    await Promise.all([prepareRun(base), prepareRun(self)]);
    const order = r % 2 === 1 ? [base, self] : [self, base];
    const seconds = new Map<string, number>();
    let chain = { seconds: 0, unchained_at_end: 0 };
    let settled = 0;
    for (const s of order) {
      settled += await settle([base, self]);
      seconds.set(s.name, await timedRun(s));
      if (s === self) chain = await chainCatchUp(self);
    }
    const baseS = seconds.get(base.name) as number;
    const selfS = seconds.get(self.name) as number;
    const row = {
      round: r,
      order: order.map((s) => s.name).join(' then '),
      base_run_s: round(baseS, 2),
      audit_run_s: round(selfS, 2),
      overhead_pct: round((selfS / baseS - 1) * 100, 1),
      unchained_at_run_end: chain.unchained_at_end,
      chain_catch_up_s: round(chain.seconds, 2),
      settled_before_runs_s: round(settled, 1),
    };
    log(`audit bench overhead round ${r}: ${JSON.stringify(row)}`);
    rounds.push(row);
  }
  return rounds;
}

export async function auditBench(): Promise<void> {
  mkdirSync(BENCH_WORK, { recursive: true });
  const self = await start('self', BENCH_ROOT);
  const result: Record<string, unknown> = { matches: MATCHES, transactions: TRANSACTIONS };
  try {
    result.export = await exportBench(self);
    await self.db.query(RESET_SQL);
    if (BASE) {
      const base = await start('base', resolve(BASE));
      try {
        result.overhead = await overheadBench(base, self);
      } finally {
        await stop(base);
      }
    } else {
      log('audit bench: no --base=<checkout>; the overhead part is skipped');
    }
  } finally {
    await stop(self);
  }
  writeFileSync(join(BENCH_WORK, 'audit.json'), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
}
