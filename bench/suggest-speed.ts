/**
 * `npm run bench -- --part=suggest-speed`: how long suggestions take for n exceptions against n
 * invoices, against the exact-rule run of the same size, in the same run of the same service.
 *
 * For each size n (`--size=10000,100000`; `--size=1000000` for the target):
 *   1. the exact-rule run: the reconcile part's data (reconcile-data.ts: n invoices, n
 *      transactions naming one each), `POST /reconcile/run` timed;
 *   2. suggestions: the same n invoices with the keys `POST /invoices` gives them (customer key,
 *      near-reference lookup keys: computed in SQL, checked against the service's own functions
 *      on a sample), and n exceptions the exact rules cannot decide, inserted set-based with their
 *      transactions; then timed until the suggestion worker has computed every one (and applied
 *      the automatic ones) and nothing is due.
 * Peak RSS of the service is taken during each timed phase (VmHWM after clear_refs, and samples),
 * and its CPU: node (all threads), its event loop alone, and PostgreSQL, per 1 000 items.
 * `--rounds=N` measures each size N times on the same service; `--dir=<checkout>` runs another
 * checkout's build (with its dist and node_modules) in this harness, for A/B runs.
 *
 * The exceptions, by transaction number g, each about invoice g of amount A (its customer has
 * n / 997 invoices, their amounts 100 different ones from 5000 to 5990):
 *   g % 10 in 0..3: a one-typo reference (a digit too many), payer named: near_reference;
 *   4: a misread reference (O for 0, I for 1), payer named, exact amount: applied automatically;
 *   5, 6: no reference, payer named, amount A: one `amount` candidate per open invoice;
 *   7: no reference, payer named, 2 × A: `split` sets of two;
 *   8: no reference, payer named, 3.5 × A + 0.01: no set exists, and the search must look
 *      through the customer's 40 oldest invoices to say so (the subset search's worst case);
 *   9: an unknown payer, no invoice number, an odd amount: nothing.
 * Prints a Markdown table for bench/RESULTS.md; writes bench/.work/suggest-speed.json.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { GENERATE_SQL, RESET_SQL } from './reconcile-data';
import {
  cliOption,
  cpuSeconds,
  envList,
  http,
  log,
  mainThreadCpuSeconds,
  memOf,
  postgresCpuSeconds,
  postmasterOf,
  resetPeak,
  round,
  rssSampler,
  sleep,
  startServiceBuild,
  stopChild,
  type Child,
  BENCH_ADMIN_KEY,
  BENCH_ROOT,
  BENCH_SECRET,
  BENCH_WORK,
  EMBEDDED_PG_PASSWORD,
} from './util';

const SIZES = (cliOption('size') ?? '10000,100000')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n >= 1000);
const EXTRA_ENV = envList(cliOption('env'));
/** Each size this many times on the same service (rounds swing; compare medians). */
const ROUNDS = Math.max(1, Number(cliOption('rounds') ?? 1));
/** Another checkout's build to measure (A/B: run the part once with `--dir`, once without). */
const DIR = resolve(cliOption('dir') ?? BENCH_ROOT);
const POLL_MS = 250;

/** What `POST /invoices` stores beside an invoice: its customer key and its lookup keys. */
const INVOICE_KEYS_SQL = [
  `UPDATE invoices SET customer_key = lower(customer)`,
  // deletionKeys(): the number with O/I/l folded to 0/1/1, and each string one deletion away.
  `INSERT INTO invoice_near_keys (key, invoice_id)
   SELECT d.k, s.id
     FROM (SELECT id, translate(normalized_number, 'oil', '011') AS f FROM invoices) s
     CROSS JOIN LATERAL (
       SELECT s.f AS k
        UNION
       SELECT overlay(s.f PLACING '' FROM p FOR 1) FROM generate_series(1, length(s.f)) AS p) d`,
];

const EXCEPTIONS_SQL = [
  `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                             reference, description, counterparty, source, status,
                             unallocated_amount, processed_at, created_at, updated_at)
   SELECT 'default', 'sx-' || g, x.amount, 'NGN', 'credit', now(), x.reference, 'Payment',
          x.payer, 'webhook', 'PROCESSED', x.amount, now(),
          timestamptz '2026-03-01 00:00:00Z' + g * interval '1 millisecond', now()
     FROM generate_series(1, $1::int) AS g,
          LATERAL (SELECT 5000 + (g % 100) * 10 AS a, 'INV-' || lpad(g::text, 7, '0') AS num,
                          'Customer ' || (g % 997) AS customer) AS inv,
          LATERAL (SELECT CASE
                     WHEN g % 10 <= 3 THEN inv.num || (g % 10)::text
                     WHEN g % 10 = 4 THEN translate(inv.num, '01', 'OI')
                     WHEN g % 10 = 9 THEN 'Thanks'
                   END AS reference,
                   CASE WHEN g % 10 = 9 THEN 'Someone ' || g ELSE inv.customer END AS payer,
                   CASE g % 10 WHEN 7 THEN inv.a * 2 WHEN 8 THEN inv.a * 3.5 + 0.01
                               WHEN 9 THEN 123.45 ELSE inv.a END AS amount) AS x`,
  `INSERT INTO transaction_exceptions (transaction_id, reason, created_at)
   SELECT id, CASE WHEN reference IS NULL OR reference = 'Thanks' THEN 'no_reference'
                   ELSE 'unknown_invoice' END, created_at
     FROM transactions`,
];

interface Phase {
  seconds: number;
  peak_rss_mb: number;
  rss_before_mb: number;
  /**
   * CPU milliseconds per 1 000 items in the phase: the service's node process (all its threads),
   * its main thread (the event loop) alone, and its PostgreSQL (every backend).
   */
  cpu_ms_per_1k: { node: number; event_loop: number; postgres: number };
}

interface SizeResult {
  n: number;
  exact_run: Phase & { matched: number };
  suggestions: Phase & {
    exceptions_left: number;
    with_suggestion: number;
    stored: number;
    /** Rows ever written, superseded ones too: recomputation after money moved shows here. */
    written: number;
    automatic: number;
    by_kind: Record<string, number>;
  };
  ratio: number;
  exact_ms_per_1k: number;
  suggest_ms_per_1k: number;
  generate_s: number;
}

export async function suggestSpeedBench(): Promise<void> {
  mkdirSync(join(BENCH_WORK, 'logs'), { recursive: true });
  let child: Child | null = null;
  const results: SizeResult[] = [];
  try {
    const started = await startServiceBuild(
      DIR,
      join(BENCH_WORK, 'suggest-speed-data'),
      BENCH_SECRET,
      { ADMIN_API_KEY: BENCH_ADMIN_KEY, BACKGROUND_POLL_MS: String(POLL_MS), ...EXTRA_ENV },
      join(BENCH_WORK, 'logs', 'suggest-speed-service.log'),
    );
    child = started.child;
    const url = `http://127.0.0.1:${started.port}`;
    const db = new Client({
      connectionString: `postgres://postgres:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${started.env.EMBEDDED_PG_PORT}/bank_sync`,
    });
    await db.connect();
    try {
      const postmaster = postmasterOf(join(BENCH_WORK, 'suggest-speed-data')).pid;
      for (const n of SIZES) {
        for (let r = 0; r < ROUNDS; r++) {
          results.push(await oneSize(db, url, { ...child, postmaster }, n));
        }
      }
      await reset(db);
    } finally {
      await db.end();
    }
  } finally {
    if (child) await stopChild(child);
  }
  writeFileSync(join(BENCH_WORK, 'suggest-speed.json'), JSON.stringify(results, null, 2));
  console.log(table(results));
}

type Service = Child & { postmaster: number };

async function oneSize(db: Client, url: string, child: Service, n: number): Promise<SizeResult> {
  // 1. The exact-rule run on the reconcile part's data.
  await reset(db);
  for (const sql of GENERATE_SQL) await db.query(sql, [n]);
  await analyze(db);
  const auth = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };
  const exact = await timed(child, n, async () => {
    const res = await http('POST', `${url}/reconcile/run`, auth);
    if (res.status !== 200) throw new Error(`POST /reconcile/run: ${res.status} ${res.body}`);
    return JSON.parse(res.body) as { matched_count: number };
  });
  log(`n=${n}: exact-rule run ${exact.seconds.toFixed(2)} s, matched ${exact.value.matched_count}`);
  await idle(db);

  // 2. Suggestions for n exceptions against the same n invoices.
  await reset(db);
  const t0 = performance.now();
  await db.query(GENERATE_SQL[0], [n]);
  for (const sql of INVOICE_KEYS_SQL) await db.query(sql);
  await checkKeys(db);
  await db.query(EXCEPTIONS_SQL[0], [n]);
  await analyze(db);
  const generateS = (performance.now() - t0) / 1000;
  const measured = await timed(child, n, async () => {
    // The worker polls every POLL_MS: the exceptions are due from the moment they exist.
    await db.query(EXCEPTIONS_SQL[1]);
    return settle(db);
  });
  // Until the first poll that found nothing due (the two confirming polls are not the work's).
  const suggested = { ...measured, seconds: (measured.value - measured.t0) / 1000 };
  const counts = await db.query<{
    with_suggestion: string;
    stored: string;
    written: string;
    automatic: string;
    left: string;
  }>(
    `SELECT (SELECT count(DISTINCT transaction_id) FROM suggestions WHERE superseded_at IS NULL) AS with_suggestion,
            (SELECT count(*) FROM suggestions WHERE superseded_at IS NULL) AS stored,
            (SELECT count(*) FROM suggestions) AS written,
            (SELECT count(*) FROM transaction_matches WHERE rule = 'suggestion') AS automatic,
            (SELECT count(*) FROM transaction_exceptions) AS left`,
  );
  const kinds = await db.query<{ kind: string; n: string }>(
    `SELECT kind, count(*) AS n FROM suggestions WHERE superseded_at IS NULL AND rank = 1 GROUP BY kind ORDER BY kind`,
  );
  const c = counts.rows[0];
  log(
    `n=${n}: suggestions ${suggested.seconds.toFixed(2)} s (${(suggested.seconds / exact.seconds).toFixed(2)}x the exact-rule run), ` +
      `${c.with_suggestion} exceptions with a suggestion, ${c.automatic} applied automatically, ` +
      `${c.stored} suggestions current of ${c.written} written, ` +
      `peak RSS ${suggested.peak.toFixed(0)} MiB; CPU ms per 1k, exact / suggestions: ` +
      `node ${exact.cpu.node} / ${suggested.cpu.node}, event loop ${exact.cpu.event_loop} / ` +
      `${suggested.cpu.event_loop}, PostgreSQL ${exact.cpu.postgres} / ${suggested.cpu.postgres}`,
  );
  return {
    n,
    exact_run: {
      seconds: round(exact.seconds, 3),
      peak_rss_mb: round(exact.peak, 1),
      rss_before_mb: round(exact.before, 1),
      cpu_ms_per_1k: exact.cpu,
      matched: exact.value.matched_count,
    },
    suggestions: {
      seconds: round(suggested.seconds, 3),
      peak_rss_mb: round(suggested.peak, 1),
      rss_before_mb: round(suggested.before, 1),
      cpu_ms_per_1k: suggested.cpu,
      exceptions_left: Number(c.left),
      with_suggestion: Number(c.with_suggestion),
      stored: Number(c.stored),
      written: Number(c.written),
      automatic: Number(c.automatic),
      by_kind: Object.fromEntries(kinds.rows.map((r) => [r.kind, Number(r.n)])),
    },
    ratio: round(suggested.seconds / exact.seconds, 2),
    exact_ms_per_1k: round((exact.seconds / n) * 1e6, 1),
    suggest_ms_per_1k: round((suggested.seconds / n) * 1e6, 1),
    generate_s: round(generateS, 1),
  };
}

async function reset(db: Client): Promise<void> {
  await db.query(RESET_SQL);
  await db.query('TRUNCATE outbox_events CASCADE');
}

async function analyze(db: Client): Promise<void> {
  for (const t of ['invoices', 'invoice_near_keys', 'transactions', 'transaction_exceptions']) {
    await db.query(`VACUUM ANALYZE ${t}`);
  }
  await db.query('CHECKPOINT');
}

/** The keys computed in SQL are the ones the service computes (a sample, by its own code). */
async function checkKeys(db: Client): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const near = require(
    join(BENCH_ROOT, 'dist', 'src', 'reconciliation', 'suggestions', 'near-reference.js'),
  ) as { deletionKeys(key: string): string[] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const party = require(
    join(BENCH_ROOT, 'dist', 'src', 'reconciliation', 'suggestions', 'party.js'),
  ) as { partyKey(name: string): string | null };
  const { rows } = await db.query<{
    normalized_number: string;
    customer: string;
    customer_key: string;
    keys: string[];
  }>(
    `SELECT i.normalized_number, i.customer, i.customer_key,
            array(SELECT key FROM invoice_near_keys k WHERE k.invoice_id = i.id ORDER BY key) AS keys
       FROM invoices i ORDER BY random() LIMIT 200`,
  );
  for (const r of rows) {
    const want = [...near.deletionKeys(r.normalized_number)].sort();
    const got = [...r.keys].sort();
    if (
      JSON.stringify(want) !== JSON.stringify(got) ||
      party.partyKey(r.customer) !== r.customer_key
    ) {
      throw new Error(
        `invoice keys differ from the service's for ${r.normalized_number}: ${JSON.stringify(got)} / ${r.customer_key}`,
      );
    }
  }
}

/** Times `work` over `n` items, with the service's peak RSS and CPU meanwhile. */
async function timed<T>(
  child: Service,
  n: number,
  work: () => Promise<T>,
): Promise<{
  seconds: number;
  peak: number;
  before: number;
  value: T;
  t0: number;
  cpu: Phase['cpu_ms_per_1k'];
}> {
  const before = memOf(child.pid)?.rss ?? 0;
  const peakReset = resetPeak(child.pid);
  const sampler = rssSampler(child.pid, 50);
  const cpu = () => [
    cpuSeconds(child.pid) ?? 0,
    mainThreadCpuSeconds(child.pid) ?? 0,
    postgresCpuSeconds(child.postmaster),
  ];
  const cpu0 = cpu();
  const t0 = performance.now();
  const value = await work();
  const seconds = (performance.now() - t0) / 1000;
  const [node, loop, pg] = cpu().map((v, i) => round(((v - cpu0[i]) / n) * 1e6, 0));
  const sampled = sampler.stop();
  const hwm = peakReset ? (memOf(child.pid)?.hwm ?? 0) : 0;
  return {
    seconds,
    peak: Math.max(hwm, sampled),
    before,
    value,
    t0,
    cpu: { node, event_loop: loop, postgres: pg },
  };
}

/**
 * Until no exception is due and no unit of work of the service holds the suggestions or the
 * exceptions, three polls in a row (a batch's automatic allocations, which make other exceptions
 * due again, run after its computation has marked its own exceptions done); returns when the
 * first of those polls saw nothing.
 */
async function settle(db: Client): Promise<number> {
  let quiet = 0;
  let since = 0;
  for (;;) {
    const { rows } = await db.query<{ due: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM transaction_exceptions WHERE suggested_at IS NULL)
           OR EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                       WHERE c.relname IN ('suggestions', 'transaction_exceptions')
                         AND l.pid <> pg_backend_pid()) AS due`,
    );
    if (rows[0].due) quiet = 0;
    else if (quiet++ === 0) since = performance.now();
    if (quiet >= 3) return since;
    await sleep(POLL_MS / 5);
  }
}

/** Nothing left for the worker from a phase before the next one starts. */
async function idle(db: Client): Promise<void> {
  await settle(db);
  await sleep(POLL_MS * 2);
}

function table(results: SizeResult[]): string {
  const rows = [
    '| n (exceptions × invoices) | exact-rule run | suggestions | ratio | ms per 1k: exact / suggestions | peak RSS: exact / suggestions | with a suggestion | automatic |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    rows.push(
      `| ${r.n} | ${r.exact_run.seconds} s | ${r.suggestions.seconds} s | ${r.ratio}× | ${r.exact_ms_per_1k} / ${r.suggest_ms_per_1k} | ${r.exact_run.peak_rss_mb} / ${r.suggestions.peak_rss_mb} MiB | ${r.suggestions.with_suggestion} | ${r.suggestions.automatic} |`,
    );
  }
  return rows.join('\n');
}
