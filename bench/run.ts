/**
 * `npm run bench` (full, ~15 min) and `npm run bench -- --quick` (~1 min): one run on one
 * machine, with its own embedded PostgreSQL, of
 *   1. ingest through the real service (guard, interceptor, group commit) at 32 connections,
 *   2. its limits: (a) bare node:http, (a') minimal NestJS route, (b) PostgreSQL via pgbench,
 *      and two explanations: (a'') (a') + a pass-through guard and interceptor, (c) (a'') + the
 *      service's group commit into the intake tables,
 *   3. reconciliation at 10k / 100k / 1M transactions against the same SQL done set-based,
 *   4. idle RSS and RSS after the ingest burst,
 * plus a CPU profile of the service under the burst. Writes bench/results.json and
 * bench/results.png; everything else (data, logs, profiles) goes to bench/.work/.
 *
 * `--part=latency`: time to money instead (bench/latency.ts: webhook → invoice.paid by rate).
 * `--part=quality`: matching quality on a labelled corpus instead (bench/quality.ts).
 *
 * Options: --quick, --sizes=10000,100000 (reconcile sizes), --seconds=N (ingest phase length),
 * --no-profile, --variants / --no-variants (short bursts with LOG_LEVEL=info and with
 * WORKER_ENABLED=false; on by default in the full run).
 */
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { drawChart } from './chart';
import { latencyBench } from './latency';
import { qualityBench } from './quality';
import { GENERATE_SQL, MATCH_SQL, RESET_SQL } from './reconcile-data';
import { suggestSpeedBench } from './suggest-speed';
import { formatSummary, summarize, type ProfileSummary } from './profile-summary';
import {
  type Child,
  cpuSeconds,
  envList,
  mainThreadCpuSeconds,
  freePort,
  http,
  log,
  memOf,
  postgresCpuSeconds,
  postmasterOf,
  resetPeak,
  round,
  rssSampler,
  seedDelivery,
  signedDeliveries,
  sleep,
  spawnNode,
  startFlagsOf,
  stopChild,
  tail,
  waitHttp,
  which,
} from './util';

// ---------------------------------------------------------------------------------------------
// Settings

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string): string | undefined =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const QUICK = flag('quick');
const ROOT = resolve(__dirname, '..', '..', '..');
const BENCH = join(ROOT, 'bench');
const WORK = join(BENCH, '.work');
const BUILD = join(WORK, 'build');
const DATA_DIR = join(WORK, 'data');
const PROF_DIR = join(WORK, 'prof');
const LOG_DIR = join(WORK, 'logs');
const SERVICE_MAIN = join(ROOT, 'dist', 'src', 'main.js');

const CONNECTIONS = 32;
const PHASE_S = Number(option('seconds') ?? (QUICK ? 10 : 30));
const WARMUP_S = QUICK ? 2 : 3;
// The ingest phases of the service and of limits (a), (a'), (a'') are interleaved: ROUNDS rounds,
// each giving every server PHASE_S / ROUNDS seconds in turn, so that the host's slow minutes
// (its speed moves by 20–30 % from one minute to the next) fall on all of them alike.
const ROUNDS = Number(option('rounds') ?? (QUICK ? 2 : 3));
const PGBENCH_S = QUICK ? 3 : 10;
const PGBENCH_CLIENTS = [1, 8, 32, 64];
const SIZES = (option('sizes') ?? (QUICK ? '10000' : '10000,100000,1000000'))
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const PROFILE_S = QUICK ? 5 : 10;
const PROFILE = !flag('no-profile');
const VARIANTS = flag('variants') || (!QUICK && !flag('no-variants'));
// A/B runs while tuning: (a') (unless --no-nest) and the service only, with the service's env
// from --env=K=V,K=V.
const INGEST_ONLY = flag('ingest-only');
const EXTRA_ENV = envList(option('env'));
// The node flags `npm start` runs the service with (package.json), so the bench measures the
// service as it is deployed. The limit servers get the same ones: one runtime for every server.
const RUNTIME_FLAGS = startFlagsOf(ROOT);
// Extra node flags for the service in --ingest-only runs (--node-args=--trace-gc,--cpu-prof).
const NODE_ARGS = (option('node-args') ?? '').split(',').filter((a) => a !== '');
// The same for the limit servers (--limit-node-args=--trace-gc), to compare like with like.
const LIMIT_NODE_ARGS = (option('limit-node-args') ?? '').split(',').filter((a) => a !== '');
const BACKLOG_WAIT_S = QUICK ? 20 : 120;

const SECRET = 'bench-webhook-secret-0123456789';
const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghij';
const PG_PASSWORD = 'bank-sync-embedded';
const PATH = '/webhooks/bank/transactions';

const children = new Set<Child>();

// ---------------------------------------------------------------------------------------------
// Load generation

interface Fire {
  rps: number;
  accepted: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  /** CPU time of the server process per answered delivery (µs) during the phase, if known. */
  cpu_us?: number;
  /** The same for all PostgreSQL processes (service phases only). */
  pg_cpu_us?: number;
  /** Share of the phase's wall time the server's main thread (its event loop) was on a core. */
  main_thread_busy?: number;
  /** CPU of the load generator (this process: autocannon and the signing) per delivery (µs). */
  client_cpu_us?: number;
  /** Deliveries/s of each round, where the phase was split into interleaved rounds. */
  rounds?: number[];
  /** WAL written per answered delivery (bytes, of which full-page images) and checkpoints. */
  wal?: WalUse;
}

interface WalUse {
  bytes_per_delivery: number;
  fpi_per_delivery: number;
  checkpoints: number;
}

const WAL_SQL = `SELECT w.wal_bytes::float8 AS bytes, w.wal_fpi::float8 AS fpi,
                        (c.num_timed + c.num_requested)::float8 AS checkpoints
                   FROM pg_stat_wal w, pg_stat_checkpointer c`;

async function walCounters(
  url: string,
): Promise<{ bytes: number; fpi: number; checkpoints: number }> {
  return withDb(url, async (c) => {
    const { rows } = await c.query<{ bytes: number; fpi: number; checkpoints: number }>(WAL_SQL);
    return rows[0];
  });
}

/**
 * `seconds` of signed seed-format deliveries with unique ids at 32 connections. The client
 * work is identical in every phase; ids answered 202 are collected into `acceptedIds`.
 */
async function fire(
  port: number,
  seconds: number,
  tag: string,
  acceptedIds?: string[],
): Promise<Fire> {
  const statuses: Record<string, number> = {};
  let accepted = 0;
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: PATH,
        setupRequest: signedDeliveries(tag, SECRET),
        onResponse: (status, body) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== 202) return;
          accepted++;
          if (acceptedIds) {
            const at = body.indexOf('"event_id":"');
            if (at >= 0) {
              const from = at + 12;
              acceptedIds.push(body.slice(from, body.indexOf('"', from)));
            }
          }
        },
      },
    ],
  });
  const elapsed = (performance.now() - started) / 1000;
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  return {
    rps: accepted / Math.min(elapsed, Math.max(result.duration, 0.001)),
    accepted,
    total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (total - accepted),
    statuses,
    seconds: round(result.duration, 2),
  };
}

interface MeasureOptions {
  pid?: number;
  withPg?: string;
  acceptedIds?: string[];
}

/**
 * Warm-up (not counted), then the measured phase. With the server's pid, also the CPU time it
 * (and, with `withPg`, PostgreSQL) spent per delivery: on these shared cores that is a steadier
 * figure than deliveries/s, because a CPU-bound server's rate is about 1 / (its CPU per delivery).
 */
async function measure(
  port: number,
  label: string,
  tag: string,
  seconds: number,
  opts: MeasureOptions = {},
): Promise<Fire> {
  await warmUp(port, label, tag, opts);
  return measured(port, label, tag, seconds, opts);
}

async function warmUp(port: number, label: string, tag: string, opts: MeasureOptions) {
  log(`${label}: warm-up ${WARMUP_S} s`);
  await fire(port, WARMUP_S, `${tag}w`, opts.acceptedIds);
}

/** One measured phase (no warm-up). */
async function measured(
  port: number,
  label: string,
  tag: string,
  seconds: number,
  opts: MeasureOptions = {},
): Promise<Fire> {
  log(`${label}: ${seconds} s at ${CONNECTIONS} connections`);
  const cpu0 = opts.pid ? cpuSeconds(opts.pid) : null;
  const wal0 = opts.withPg ? await walCounters(opts.withPg) : null;
  const pg0 = opts.withPg ? postgresCpuSeconds() : null;
  const main0 = opts.pid ? mainThreadCpuSeconds(opts.pid) : null;
  const client0 = process.cpuUsage();
  const wall0 = performance.now();
  const r = await fire(port, seconds, tag, opts.acceptedIds);
  const wall = (performance.now() - wall0) / 1000;
  const client = process.cpuUsage(client0);
  const main1 = opts.pid ? mainThreadCpuSeconds(opts.pid) : null;
  const cpu1 = opts.pid ? cpuSeconds(opts.pid) : null;
  const perDelivery = (s: number): number => Math.round((s * 1e6) / Math.max(r.total, 1));
  if (cpu0 !== null && cpu1 !== null) r.cpu_us = perDelivery(cpu1 - cpu0);
  if (main0 !== null && main1 !== null) r.main_thread_busy = round((main1 - main0) / wall, 2);
  r.client_cpu_us = perDelivery((client.user + client.system) / 1e6);
  if (pg0 !== null) r.pg_cpu_us = perDelivery(postgresCpuSeconds() - pg0);
  if (wal0 && opts.withPg) {
    const wal1 = await walCounters(opts.withPg);
    const n = Math.max(r.total, 1);
    r.wal = {
      bytes_per_delivery: Math.round((wal1.bytes - wal0.bytes) / n),
      fpi_per_delivery: round((wal1.fpi - wal0.fpi) / n, 3),
      checkpoints: wal1.checkpoints - wal0.checkpoints,
    };
  }
  logFire(label, r);
  return r;
}

function logFire(label: string, r: Fire): void {
  log(
    `${label}: ${r.rps.toFixed(0)} deliveries/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
      `errors ${r.errors} (${JSON.stringify(r.statuses)})` +
      (r.cpu_us !== undefined ? `, CPU ${r.cpu_us} µs per delivery` : '') +
      (r.pg_cpu_us !== undefined ? ` (+ PostgreSQL ${r.pg_cpu_us} µs)` : '') +
      (r.main_thread_busy !== undefined
        ? `, main thread busy ${Math.round(r.main_thread_busy * 100)} %`
        : '') +
      `, load generator ${r.client_cpu_us} µs per delivery` +
      (r.wal
        ? `; WAL ${r.wal.bytes_per_delivery} B per delivery (${r.wal.fpi_per_delivery} ` +
          `full-page images), ${r.wal.checkpoints} checkpoint(s)`
        : '') +
      (r.rounds ? `; rounds ${r.rounds.map((x) => x.toFixed(0)).join(' / ')}/s` : ''),
  );
}

/**
 * The phases of one server over the rounds as one: deliveries and time summed, CPU and WAL per
 * delivery weighted by deliveries, p50 the median round's, p99 the worst round's.
 */
function mergeRounds(parts: Fire[]): Fire {
  const sum = (f: (p: Fire) => number): number => parts.reduce((a, p) => a + f(p), 0);
  const total = Math.max(
    sum((p) => p.total),
    1,
  );
  const weighted = (f: (p: Fire) => number | undefined): number | undefined =>
    parts.every((p) => f(p) !== undefined)
      ? Math.round(sum((p) => (f(p) as number) * p.total) / total)
      : undefined;
  const statuses: Record<string, number> = {};
  for (const p of parts)
    for (const [k, v] of Object.entries(p.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const accepted = sum((p) => p.accepted);
  const p50s = parts.map((p) => p.p50).sort((a, b) => a - b);
  const walParts = parts.map((p) => p.wal).filter((w): w is WalUse => w !== undefined);
  return {
    rps:
      accepted /
      Math.max(
        sum((p) => p.accepted / Math.max(p.rps, 1e-9)),
        1e-9,
      ),
    accepted,
    total: sum((p) => p.total),
    p50: p50s[Math.floor((p50s.length - 1) / 2)],
    p99: Math.max(...parts.map((p) => p.p99)),
    errors: sum((p) => p.errors),
    statuses,
    seconds: round(
      sum((p) => p.seconds),
      2,
    ),
    cpu_us: weighted((p) => p.cpu_us),
    pg_cpu_us: weighted((p) => p.pg_cpu_us),
    client_cpu_us: weighted((p) => p.client_cpu_us),
    main_thread_busy: parts.every((p) => p.main_thread_busy !== undefined)
      ? round(sum((p) => (p.main_thread_busy as number) * p.seconds) / sum((p) => p.seconds), 2)
      : undefined,
    wal:
      walParts.length === parts.length
        ? {
            bytes_per_delivery: weighted((p) => p.wal?.bytes_per_delivery) ?? 0,
            fpi_per_delivery: round(
              sum((p) => (p.wal?.fpi_per_delivery ?? 0) * p.total) / total,
              3,
            ),
            checkpoints: walParts.reduce((a, w) => a + w.checkpoints, 0),
          }
        : undefined,
    rounds: parts.map((p) => round(p.rps, 0)),
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

async function waitPort(child: Child, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) {
      throw new Error(`process ${child.pid} exited:\n${tail(child.logFile)}`);
    }
    try {
      await http('GET', `http://127.0.0.1:${port}/`);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`port ${port} not listening`);
      await sleep(100);
    }
  }
}

async function startLimitServer(
  script: string,
  name: string,
  env: Record<string, string> = {},
): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const child = spawnNode(
    [...RUNTIME_FLAGS, ...LIMIT_NODE_ARGS, join(BUILD, 'servers', script)],
    { ...process.env, PORT: String(port), WEBHOOK_SECRET: SECRET, ...env },
    join(LOG_DIR, `${name}.log`),
  );
  children.add(child);
  await waitPort(child, port);
  return { child, port };
}

interface Service {
  child: Child;
  port: number;
  pgPort: number;
  url: string;
  dbUrl: string;
}

async function startService(
  name: string,
  pgPort: number,
  opts: { nodeArgs?: string[]; logLevel?: string; env?: Record<string, string> } = {},
): Promise<Service> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    DATA_DIR,
    WEBHOOK_SECRET: SECRET,
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: opts.logLevel ?? 'warn',
    // The hourly fallback run must not start in the middle of a measurement.
    RECONCILE_CRON: '0 0 1 1 *',
    NODE_ENV: 'production',
    ...opts.env,
  };
  delete env.DATABASE_URL;
  const child = spawnNode(
    [...RUNTIME_FLAGS, ...(opts.nodeArgs ?? []), SERVICE_MAIN],
    env,
    join(LOG_DIR, `service-${name}.log`),
  );
  children.add(child);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(child, `${url}/health/ready`);
  return {
    child,
    port,
    pgPort,
    url,
    dbUrl: `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${pgPort}/bank_sync`,
  };
}

async function stop(child: Child): Promise<void> {
  await stopChild(child);
  children.delete(child);
}

/** A postmaster left on our data dir by a bench that was killed: stop it before wiping. */
async function stopOrphanPostgres(): Promise<void> {
  if (!existsSync(join(DATA_DIR, 'pg', 'postmaster.pid'))) return;
  const { pid } = postmasterOf(DATA_DIR);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  log(`stopping a postgres (pid ${pid}) left on ${DATA_DIR} by an earlier run`);
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
}

async function withDb<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

const countOf = async (c: Client, sql: string, params: unknown[] = []): Promise<number> => {
  const r = await c.query<{ n: string }>(sql, params);
  return Number(r.rows[0]?.n ?? 0);
};

// ---------------------------------------------------------------------------------------------
// 1. Ingest and 4. RSS

/** How many accepted event ids lack their webhook_events row or their transactions row. */
async function countLost(c: Client, ids: string[]): Promise<number> {
  let found = 0;
  const CHUNK = 50_000;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    found += await countOf(
      c,
      `SELECT count(*) AS n
         FROM unnest($1::text[]) AS k(event_id)
         JOIN webhook_events e ON e.bank_id = 'default' AND e.event_id = k.event_id
         JOIN transactions t ON t.bank_id = 'default'
                            AND t.external_id = 'txn-' || substr(k.event_id, 5)`,
      [chunk],
    );
  }
  return ids.length - found;
}

/**
 * Between interleaved rounds: waits until the service's processing backlog and undispatched
 * outbox events are gone and no autovacuum runs, so that a limit's phase has the cores to itself.
 */
async function settle(dbUrl: string): Promise<void> {
  const started = performance.now();
  await withDb(dbUrl, async (c) => {
    for (;;) {
      const n = await countOf(
        c,
        `SELECT (SELECT count(*) FROM transactions WHERE status = 'PENDING')
              + (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL)
              + (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'
                                                         AND state = 'active') AS n`,
      );
      if (n === 0 || performance.now() - started > BACKLOG_WAIT_S * 1000) return;
      await sleep(500);
    }
  });
  log(
    `settled (backlog, outbox, autovacuum) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** Waits for the processing worker to drain the PENDING rows the burst left. */
async function drainBacklog(c: Client): Promise<{ pending: number; seconds: number }> {
  const started = performance.now();
  let pending = await countOf(c, `SELECT count(*) AS n FROM transactions WHERE status = 'PENDING'`);
  const first = pending;
  while (pending > 0 && performance.now() - started < BACKLOG_WAIT_S * 1000) {
    await sleep(500);
    pending = await countOf(c, `SELECT count(*) AS n FROM transactions WHERE status = 'PENDING'`);
  }
  const seconds = (performance.now() - started) / 1000;
  log(
    `worker backlog: ${first} PENDING after the burst, ${pending} left after ${seconds.toFixed(1)} s`,
  );
  return { pending: first, seconds: pending === 0 ? round(seconds, 1) : -1 };
}

// ---------------------------------------------------------------------------------------------
// 2(b). PostgreSQL alone, via pgbench

// One delivery per transaction, the rows and indexes the intake writes (same columns, same body
// size, unique ids); a single statement, like the intake's, so one round trip per commit.
function pgbenchScript(): string {
  const d = seedDelivery('pgbench', 0, SECRET);
  const sha = createHash('sha256').update(d.body).digest('hex');
  const headers = JSON.stringify({
    'content-type': 'application/json',
    'x-event-id': d.eventId,
    'x-signature': d.headers['x-signature'],
  });
  return `WITH k AS (SELECT gen_random_uuid()::text AS ev, gen_random_uuid()::text AS tx),
ev AS (
  INSERT INTO bench_pg.webhook_events (bank_id, event_id, event_type, body, body_sha256, headers, external_transaction_id)
  SELECT 'default', k.ev, NULL, convert_to('${d.body}', 'UTF8'), decode('${sha}', 'hex'), '${headers}'::jsonb, k.tx FROM k
  ON CONFLICT (bank_id, event_id) DO NOTHING
  RETURNING bank_id, external_transaction_id
)
INSERT INTO bench_pg.transactions (bank_id, external_id, amount, currency, direction, occurred_at, reference, description, counterparty, source, unallocated_amount)
SELECT ev.bank_id, ev.external_transaction_id, 5000, 'NGN', 'credit', '2026-02-27T12:00:00Z', 'INV-001', 'Transfer', 'Acme Ltd', 'webhook', 5000 FROM ev
ON CONFLICT (bank_id, external_id) DO NOTHING;
`;
}

interface PgbenchRow {
  clients: number;
  tps: number;
  latency_ms: number;
}

async function pgLimit(svc: Service, pgbench: string | null): Promise<PgbenchRow[]> {
  if (!pgbench) {
    log('pgbench not found: limit (b) skipped.');
    log('  install it with: apt-get update && apt-get install -y postgresql-client');
    return [];
  }
  const script = join(WORK, 'pgbench-intake.sql');
  writeFileSync(script, pgbenchScript());
  await createBenchTables(svc);
  const rows: PgbenchRow[] = [];
  for (const clients of PGBENCH_CLIENTS) {
    await withDb(svc.dbUrl, async (c) => {
      await c.query('TRUNCATE bench_pg.webhook_events, bench_pg.transactions');
      await c.query('CHECKPOINT');
    });
    const args = [
      '-n',
      '-M',
      'prepared',
      '-f',
      script,
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, 2)),
      '-T',
      String(PGBENCH_S),
      '-h',
      '127.0.0.1',
      '-p',
      String(svc.pgPort),
      '-U',
      'postgres',
      'bank_sync',
    ];
    const r = spawnSync(pgbench, args, {
      env: { ...process.env, PGPASSWORD: PG_PASSWORD },
      encoding: 'utf8',
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout);
    const lat = /latency average = ([\d.]+) ms/.exec(r.stdout);
    if (r.status !== 0 || !tps) {
      log(`pgbench -c ${clients} failed:\n${r.stdout}\n${r.stderr}`);
      continue;
    }
    rows.push({ clients, tps: round(Number(tps[1]), 0), latency_ms: Number(lat?.[1] ?? 0) });
    log(`pgbench ${clients} clients: ${Number(tps[1]).toFixed(0)} tps, latency ${lat?.[1]} ms`);
  }
  return rows;
}

/** The intake's two tables, with their indexes, in a schema of their own (limits b and c). */
async function createBenchTables(svc: Service): Promise<void> {
  await withDb(svc.dbUrl, async (c) => {
    await c.query('DROP SCHEMA IF EXISTS bench_pg CASCADE');
    await c.query('CREATE SCHEMA bench_pg');
    await c.query(
      'CREATE TABLE bench_pg.webhook_events (LIKE public.webhook_events INCLUDING ALL)',
    );
    await c.query('CREATE TABLE bench_pg.transactions (LIKE public.transactions INCLUDING ALL)');
  });
}

/**
 * (c): (a'') that also commits each delivery before answering it (group commit into the bench
 * tables): the least any durable route with a guard and an interceptor can cost on this stack.
 * Run against the service's PostgreSQL while the service idles (its backlog drained); the full
 * bench runs (c) in its interleaved rounds instead, this is for `--ingest-only --durable`.
 */
async function durableLimit(svc: Service): Promise<Fire> {
  await withDb(svc.dbUrl, async (c) => {
    await c.query('TRUNCATE bench_pg.webhook_events, bench_pg.transactions');
    await c.query('CHECKPOINT');
  });
  const server = await startLimitServer('nest-minimal.js', 'limit-nest-durable', {
    NEST_MINIMAL_PIPELINE: '1',
    BENCH_DATABASE_URL: svc.dbUrl,
  });
  const r = await measure(server.port, "(c) (a'') + group commit, nothing else", 'c', PHASE_S, {
    pid: server.child.pid,
    withPg: svc.dbUrl,
  });
  await stop(server.child);
  await withDb(svc.dbUrl, (c) => c.query('DROP SCHEMA bench_pg CASCADE'));
  return r;
}

// ---------------------------------------------------------------------------------------------
// 3. Reconciliation

interface ReconcileRow {
  n: number;
  seconds: number;
  sql_seconds: number;
  ratio_to_sql: number;
  peak_rss_mb: number;
}

interface ReconcileDetail {
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

async function reconcile(
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

// ---------------------------------------------------------------------------------------------
// Profile

function newestProfile(): string | null {
  if (!existsSync(PROF_DIR)) return null;
  const files = readdirSync(PROF_DIR)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(PROF_DIR, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0] ?? null;
}

// ---------------------------------------------------------------------------------------------
// Output

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    )
    .join('\n');
}

const ratio = (a: number, b: number | null): number | null => (b && b > 0 ? round(a / b, 3) : null);

async function main(): Promise<void> {
  if (option('part') === 'latency') return latencyBench();
  if (option('part') === 'quality') return qualityBench();
  if (option('part') === 'suggest-speed') return suggestSpeedBench();
  const started = performance.now();
  const loadAtStart = round(loadavg()[0], 2);
  mkdirSync(LOG_DIR, { recursive: true });
  if (!existsSync(SERVICE_MAIN)) {
    throw new Error(`${SERVICE_MAIN} is missing: run "npm run build" (npm run bench does it)`);
  }
  const pgbench = which('pgbench');
  if (!pgbench) {
    log('pgbench is not installed; limit (b) will be reported as null.');
    log('  install it with: apt-get update && apt-get install -y postgresql-client');
  }
  await stopOrphanPostgres();
  rmSync(DATA_DIR, { recursive: true, force: true });
  rmSync(PROF_DIR, { recursive: true, force: true });
  mkdirSync(PROF_DIR, { recursive: true });
  log(
    `mode ${QUICK ? 'quick' : 'full'}: ingest phases ${PHASE_S} s, reconcile sizes ` +
      `${SIZES.join(', ') || 'none'}, pgbench ${PGBENCH_S} s per client count; node flags ` +
      `(npm start's, for every server): ${RUNTIME_FLAGS.join(' ') || 'none'}`,
  );

  if (INGEST_ONLY) return ingestOnly();

  // 1. Ingest through the real service and 2(a), (a'), (a''), (c): the framework-free and
  // framework-only ceilings (no database), (a'') the same route behind one pass-through guard
  // and one pass-through interceptor, which the service's design requires of its webhook routes,
  // and (c) that route committing each delivery by group commit (not targets, explanations).
  // All five run at once, idle but for the one under load, and
  // take turns over ROUNDS rounds; after each service phase its background work (processing,
  // relay) and autovacuum are let finish, so that none of it falls into a limit's phase.
  const bare = await startLimitServer('bare-http.js', 'limit-http');
  const nest = await startLimitServer('nest-minimal.js', 'limit-nest');
  const pipe = await startLimitServer('nest-minimal.js', 'limit-nest-pipeline', {
    NEST_MINIMAL_PIPELINE: '1',
  });
  const pgPort = await freePort();
  log(`starting the service (embedded PostgreSQL on ${pgPort}, data in ${DATA_DIR})`);
  let svc = await startService('main', pgPort);
  await sleep(3000);
  const idle = memOf(svc.child.pid)?.rss ?? 0;
  log(`service idle RSS ${idle.toFixed(1)} MiB`);
  // (c) takes its turn in the rounds too, so that ingest / (c) compares the same minutes.
  await createBenchTables(svc);
  const durable = await startLimitServer('nest-minimal.js', 'limit-nest-durable', {
    NEST_MINIMAL_PIPELINE: '1',
    BENCH_DATABASE_URL: svc.dbUrl,
  });
  const acceptedIds: string[] = [];
  const phases = [
    { label: '(a) bare node:http', tag: 'a', port: bare.port, opts: { pid: bare.child.pid } },
    { label: "(a') minimal NestJS", tag: 'n', port: nest.port, opts: { pid: nest.child.pid } },
    {
      label: "(a'') minimal NestJS + guard + interceptor",
      tag: 'q',
      port: pipe.port,
      opts: { pid: pipe.child.pid },
    },
    {
      label: "(c) (a'') + group commit, nothing else",
      tag: 'c',
      port: durable.port,
      opts: { pid: durable.child.pid, withPg: svc.dbUrl },
    },
    {
      label: 'ingest (service)',
      tag: 'i',
      port: svc.port,
      opts: { pid: svc.child.pid, withPg: svc.dbUrl, acceptedIds },
    },
  ];
  for (const ph of phases) await warmUp(ph.port, ph.label, ph.tag, ph.opts);
  await settle(svc.dbUrl);
  const roundSeconds = Math.max(1, Math.round(PHASE_S / ROUNDS));
  const parts: Fire[][] = phases.map(() => []);
  let afterIngest: ReturnType<typeof memOf> = null;
  for (let round_ = 1; round_ <= ROUNDS; round_++) {
    log(`round ${round_} of ${ROUNDS}: ${roundSeconds} s per server`);
    for (const [i, ph] of phases.entries()) {
      const tag = `${ph.tag}-${round_}`;
      parts[i].push(
        await measured(ph.port, `${ph.label} round ${round_}`, tag, roundSeconds, ph.opts),
      );
    }
    afterIngest = memOf(svc.child.pid);
    if (round_ < ROUNDS) await settle(svc.dbUrl);
  }
  const merged = parts.map(mergeRounds);
  for (const [i, ph] of phases.entries()) logFire(`${ph.label}, ${ROUNDS} rounds`, merged[i]);
  const [http_, nest_, pipe_, durable_, ingest] = merged;
  const byRound = (limit: Fire): string | undefined =>
    ingest.rounds?.map((r, i) => (r / Math.max(limit.rounds?.[i] ?? 0, 1)).toFixed(3)).join(' / ');
  log(`ingest / (a') by round: ${byRound(nest_)}; ingest / (c) by round: ${byRound(durable_)}`);
  await Promise.all([stop(bare.child), stop(nest.child), stop(pipe.child), stop(durable.child)]);
  log(
    `service RSS after the last burst ${afterIngest?.rss.toFixed(1)} MiB (peak ${afterIngest?.hwm.toFixed(1)})`,
  );
  const { pgVersion, lost, backlog, commits } = await withDb(svc.dbUrl, async (c) => {
    const v = await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const lostCount = await countLost(c, acceptedIds);
    log(`${acceptedIds.length} deliveries answered 202; missing from the database: ${lostCount}`);
    const drained = await drainBacklog(c);
    // Rows written by one statement share its transaction id (xmin): distinct xmin values are
    // the intake's commits (group commit batches), and after the worker has processed the
    // rows, its commits.
    const gc = await c.query<{ n: string; ev_commits: string; tx_commits: string }>(
      `SELECT count(*) AS n, count(DISTINCT e.xmin::text) AS ev_commits,
              count(DISTINCT t.xmin::text) AS tx_commits
         FROM webhook_events e
         JOIN transactions t ON t.bank_id = e.bank_id AND t.external_id = e.external_transaction_id
        WHERE e.event_id LIKE 'evt-i-%'`,
    );
    const row = gc.rows[0];
    const commits = {
      deliveries: Number(row?.n ?? 0),
      intake_commits: Number(row?.ev_commits ?? 0),
      worker_commits_touching_them: Number(row?.tx_commits ?? 0),
    };
    log(
      `group commit: ${commits.deliveries} deliveries in ${commits.intake_commits} intake commits ` +
        `(${(commits.deliveries / Math.max(commits.intake_commits, 1)).toFixed(1)} per commit); ` +
        `last written by ${commits.worker_commits_touching_them} worker commits`,
    );
    return { pgVersion: v.rows[0]?.v ?? '?', lost: lostCount, backlog: drained, commits };
  });

  // 2(b). PostgreSQL alone.
  const pgRows = await pgLimit(svc, pgbench);
  const bestPg = pgRows.reduce<PgbenchRow | null>((b, r) => (!b || r.tps > b.tps ? r : b), null);
  await withDb(svc.dbUrl, (c) => c.query('DROP SCHEMA IF EXISTS bench_pg CASCADE'));

  // 3. Reconciliation.
  const rec =
    SIZES.length > 0 ? await reconcile(svc) : { rows: [], details: [], skipped: 'no sizes' };
  await withDb(svc.dbUrl, (c) => c.query(RESET_SQL));
  await stop(svc.child);

  // Where the ingest time goes: the same burst under --cpu-prof.
  let profile: ProfileSummary | null = null;
  let profiled: Fire | null = null;
  if (PROFILE) {
    svc = await startService('profile', pgPort, {
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', PROF_DIR],
    });
    log(`profiling the service under a ${PROFILE_S} s burst`);
    profiled = await fire(svc.port, PROFILE_S, 'p');
    log(`under --cpu-prof: ${profiled.rps.toFixed(0)} deliveries/s, p99 ${profiled.p99} ms`);
    await stop(svc.child);
    const file = newestProfile();
    if (file) {
      profile = summarize(file, 30, '/dist/src/webhooks/signature.guard');
      const text = formatSummary(profile);
      writeFileSync(join(WORK, 'profile-summary.txt'), `${text}\n`);
      log(`profile summary (also in bench/.work/profile-summary.txt):\n${text}`);
    } else {
      log('no .cpuprofile was written');
    }
  }

  // Diagnostic variants of the same burst: what logging every request costs, and what the
  // processing worker (which handles the accepted rows meanwhile) takes from intake.
  let logged: Fire | null = null;
  let noWorker: Fire | null = null;
  if (VARIANTS) {
    svc = await startService('log-info', pgPort, { logLevel: 'info' });
    logged = await measure(svc.port, 'ingest with LOG_LEVEL=info', 'l', Math.min(PHASE_S, 10), {
      pid: svc.child.pid,
      withPg: svc.dbUrl,
    });
    await stop(svc.child);
    svc = await startService('no-worker', pgPort, { env: { WORKER_ENABLED: 'false' } });
    noWorker = await measure(
      svc.port,
      'ingest with WORKER_ENABLED=false',
      'x',
      Math.min(PHASE_S, 10),
      { pid: svc.child.pid, withPg: svc.dbUrl },
    );
    await stop(svc.child);
  }

  // Results.
  const cpu = cpus();
  const results = {
    machine: {
      cpu: cpu[0]?.model ?? '?',
      cores: cpu.length,
      mem_gb: round(totalmem() / 2 ** 30, 1),
      os: `${type()} ${release()}`,
      node: process.version,
      // Flags of `npm start`, given to the service and to every limit server alike.
      node_flags: RUNTIME_FLAGS,
      postgres: pgVersion,
      mode: QUICK ? 'quick' : 'full',
      phase_seconds: PHASE_S,
      connections: CONNECTIONS,
      date: new Date().toISOString(),
      // Other work on the machine skews every figure: the 1-minute load average at the start and
      // at the end of the run.
      loadavg_start: loadAtStart,
      loadavg_end: round(loadavg()[0], 2),
    },
    ingest: {
      rps: round(ingest.rps, 0),
      p50_ms: ingest.p50,
      p99_ms: ingest.p99,
      errors: ingest.errors,
      lost,
      limit_http_rps: round(http_.rps, 0),
      limit_nest_rps: round(nest_.rps, 0),
      limit_pg_rps: bestPg ? bestPg.tps : null,
      ratio_to_http: ratio(ingest.rps, http_.rps),
      ratio_to_nest: ratio(ingest.rps, nest_.rps),
      ratio_to_pg: ratio(ingest.rps, bestPg?.tps ?? null),
      // CPU time per delivery of the service process (and of PostgreSQL) and of the limits: a
      // CPU-bound server's rate is about 1 / its CPU per delivery, and CPU time moves less than
      // the rate when other work shares the cores. (a')'s CPU over the service's is the ratio the
      // rates would have if each process had a core of its own.
      cpu_us_per_delivery: ingest.cpu_us ?? null,
      pg_cpu_us_per_delivery: ingest.pg_cpu_us ?? null,
      limit_http_cpu_us: http_.cpu_us ?? null,
      limit_nest_cpu_us: nest_.cpu_us ?? null,
      cpu_ratio_to_nest:
        ingest.cpu_us && nest_.cpu_us ? round(nest_.cpu_us / ingest.cpu_us, 3) : null,
      limit_nest_pipeline_rps: round(pipe_.rps, 0),
      limit_nest_pipeline_cpu_us: pipe_.cpu_us ?? null,
      ratio_to_nest_pipeline: ratio(ingest.rps, pipe_.rps),
      nest_pipeline_to_nest: ratio(pipe_.rps, nest_.rps),
      limit_durable_rps: round(durable_.rps, 0),
      limit_durable_cpu_us: durable_.cpu_us ?? null,
      limit_durable_pg_cpu_us: durable_.pg_cpu_us ?? null,
      ratio_to_durable: ratio(ingest.rps, durable_.rps),
      durable_to_nest: ratio(durable_.rps, nest_.rps),
      // Share of each phase's wall time the server's event loop was on a core: (a') is bound by
      // its one thread (~1); where the service's is lower, it waited for PostgreSQL or a core.
      main_thread_busy: ingest.main_thread_busy ?? null,
      limit_nest_main_thread_busy: nest_.main_thread_busy ?? null,
      limit_durable_main_thread_busy: durable_.main_thread_busy ?? null,
      // The load generator shares the 2 cores: its CPU per delivery (the same work in each phase).
      client_cpu_us_per_delivery: ingest.client_cpu_us ?? null,
    },
    reconcile: rec.rows,
    rss_mb: { idle: round(idle, 1), after_ingest: round(afterIngest?.rss ?? 0, 1) },
    details: {
      ingest: {
        accepted_measured: ingest.accepted,
        accepted_total_incl_warmup: acceptedIds.length,
        statuses: ingest.statuses,
        seconds: ingest.seconds,
        peak_rss_mb: round(afterIngest?.hwm ?? 0, 1),
        worker_backlog_after_burst: backlog.pending,
        backlog_drain_seconds: backlog.seconds,
        ...commits,
        deliveries_per_intake_commit: round(
          commits.deliveries / Math.max(commits.intake_commits, 1),
          1,
        ),
      },
      limit_http: { p50_ms: http_.p50, p99_ms: http_.p99, errors: http_.errors },
      limit_nest: { p50_ms: nest_.p50, p99_ms: nest_.p99, errors: nest_.errors },
      limit_nest_pipeline: { p50_ms: pipe_.p50, p99_ms: pipe_.p99, errors: pipe_.errors },
      limit_durable: { p50_ms: durable_.p50, p99_ms: durable_.p99, errors: durable_.errors },
      pgbench: pgRows,
      reconcile: rec.details,
      reconcile_skipped: rec.skipped,
      profile: profile
        ? {
            file: profile.file.replace(`${ROOT}/`, ''),
            rps_under_profiler: round(profiled?.rps ?? 0, 0),
            sampled_ms: profile.totalMs,
            busy_ms: profile.busyMs,
            window: profile.window,
            areas: profile.areas.slice(0, 12),
            inclusive_areas: profile.inclusiveAreas.slice(0, 12),
            inclusive_app: profile.inclusiveApp.slice(0, 12),
            frames: profile.frames.slice(0, 15),
          }
        : null,
      log_level_info: logged
        ? {
            rps: round(logged.rps, 0),
            p50_ms: logged.p50,
            p99_ms: logged.p99,
            errors: logged.errors,
          }
        : null,
      worker_disabled: noWorker
        ? {
            rps: round(noWorker.rps, 0),
            p50_ms: noWorker.p50,
            p99_ms: noWorker.p99,
            errors: noWorker.errors,
          }
        : null,
      wall_seconds: 0,
    },
  };
  results.details.wall_seconds = round((performance.now() - started) / 1000, 0);
  writeFileSync(join(BENCH, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const per1k = rec.rows.map((r) => (r.seconds / r.n) * 1000);
  const growthOk = per1k.length < 2 ? null : per1k[per1k.length - 1] <= per1k[0] * 1.2;
  // The limit's own growth, for context: the tables outgrow the embedded default
  // shared_buffers (128 MB) between 100k and 1M, and every statement pays for it.
  const sqlPer = rec.rows.map((r) => r.sql_seconds / r.n);
  const sqlGrowth = sqlPer.length < 2 ? 1 : sqlPer[sqlPer.length - 1] / sqlPer[0];
  drawChart(join(BENCH, 'results.png'), {
    title: `BANK SYNC BENCH (${QUICK ? 'QUICK' : 'FULL'}), ${cpu.length} CORES, NODE ${process.version}, PG ${pgVersion}`,
    ingest: [
      { label: 'SVC\nINGEST', value: results.ingest.rps, color: [52, 101, 164] },
      { label: "(A')\nNEST", value: results.ingest.limit_nest_rps, color: [237, 152, 60] },
      {
        label: "(A'')\n+PIPE",
        value: results.ingest.limit_nest_pipeline_rps,
        color: [245, 200, 140],
      },
      {
        label: '(C)\n+DB',
        value: results.ingest.limit_durable_rps,
        color: [120, 160, 210],
      },
      {
        label: '(A)\nHTTP',
        value: results.ingest.limit_http_rps,
        color: [150, 150, 150],
      },
      { label: '(B)\nPG', value: results.ingest.limit_pg_rps, color: [115, 185, 95] },
    ],
    reconcile: rec.rows.map((r) => ({ n: r.n, service: r.seconds, sql: r.sql_seconds })),
    note: rec.skipped ? `RECONCILE SKIPPED: ${rec.skipped}` : undefined,
  });

  const fmt = (v: number | null, d = 0): string => (v === null ? 'n/a' : v.toFixed(d));
  const pct = (v: number | null): string => (v === null ? 'n/a' : `${Math.round(v * 100)} %`);
  const fireRow = (label: string, f: Fire, vs: string): string[] => [
    label,
    fmt(round(f.rps, 0)),
    String(f.p50),
    String(f.p99),
    String(f.errors),
    f.cpu_us === undefined ? '' : String(f.cpu_us),
    vs,
  ];
  const out = [
    '',
    `Bank Sync bench (${QUICK ? 'quick' : 'full'}) — ${cpu.length} cores, ${cpu[0]?.model ?? ''}, node ${process.version}, PostgreSQL ${pgVersion}`,
    '',
    table([
      [
        'ingest, 32 connections',
        'deliveries/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'CPU µs/delivery',
        'ingest / this',
      ],
      fireRow('service (guard, interceptor, commit)', ingest, '1'),
      fireRow('(a) bare node:http, HMAC + JSON', http_, fmt(results.ingest.ratio_to_http, 3)),
      fireRow("(a') minimal NestJS route", nest_, fmt(results.ingest.ratio_to_nest, 3)),
      fireRow(
        "(a'') (a') + pass-through guard + interceptor",
        pipe_,
        fmt(results.ingest.ratio_to_nest_pipeline, 3),
      ),
      fireRow(
        "(c) (a'') + group commit, nothing else",
        durable_,
        fmt(results.ingest.ratio_to_durable, 3),
      ),
      [
        `(b) PostgreSQL, pgbench best (${bestPg?.clients ?? '-'} clients)`,
        fmt(results.ingest.limit_pg_rps),
        '',
        '',
        '',
        '',
        fmt(results.ingest.ratio_to_pg, 3),
      ],
      ...(logged ? [fireRow('service with LOG_LEVEL=info', logged, '')] : []),
      ...(noWorker ? [fireRow('service with WORKER_ENABLED=false', noWorker, '')] : []),
    ]),
    '',
    `CPU per delivery: service ${fmt(results.ingest.cpu_us_per_delivery)} µs + PostgreSQL ` +
      `${fmt(results.ingest.pg_cpu_us_per_delivery)} µs; (a') ${fmt(results.ingest.limit_nest_cpu_us)} µs ` +
      `(CPU ratio to (a') ${fmt(results.ingest.cpu_ratio_to_nest, 3)}); (a'') ` +
      `${fmt(results.ingest.limit_nest_pipeline_cpu_us)} µs, its rate ` +
      `${fmt(results.ingest.nest_pipeline_to_nest, 3)} of (a')'s; (c) ` +
      `${fmt(results.ingest.limit_durable_cpu_us)} µs + PostgreSQL ` +
      `${fmt(results.ingest.limit_durable_pg_cpu_us)} µs, its rate ` +
      `${fmt(results.ingest.durable_to_nest, 3)} of (a')'s`,
    `main thread (event loop) on a core: service ${pct(results.ingest.main_thread_busy)}, (a') ` +
      `${pct(results.ingest.limit_nest_main_thread_busy)}, (c) ` +
      `${pct(results.ingest.limit_durable_main_thread_busy)} of the wall time; load generator ` +
      `${fmt(results.ingest.client_cpu_us_per_delivery)} µs per delivery`,
    `every 202 in the database: ${lost === 0 ? 'yes' : `NO, ${lost} missing`} (${acceptedIds.length} accepted incl. warm-up)`,
    `pgbench: ${pgRows.map((r) => `${r.clients} clients ${r.tps} tps`).join(', ') || 'not run'}`,
    `RSS: idle ${results.rss_mb.idle} MiB, after the ingest burst ${results.rss_mb.after_ingest} MiB`,
    '',
    rec.skipped && rec.rows.length === 0
      ? `reconciliation: skipped (${rec.skipped})`
      : table([
          [
            'reconcile n',
            'service s',
            'SQL s',
            'service / SQL',
            'ms per 1k tx',
            'SQL ms per 1k',
            'peak RSS MiB',
          ],
          ...rec.rows.map((r, i) => [
            String(r.n),
            r.seconds.toFixed(2),
            r.sql_seconds.toFixed(3),
            r.ratio_to_sql.toFixed(1),
            (per1k[i] * 1000).toFixed(1),
            ((r.sql_seconds / r.n) * 1e6).toFixed(1),
            r.peak_rss_mb.toFixed(0),
          ]),
        ]),
    growthOk === null
      ? ''
      : `time per transaction ${growthOk ? 'does not rise' : 'RISES'} with size (largest/smallest per-tx: ${(per1k[per1k.length - 1] / per1k[0]).toFixed(2)}; ` +
        `the hand-written SQL's own on the same data: ${sqlGrowth.toFixed(2)})`,
    '',
    `wrote bench/results.json and bench/results.png in ${results.details.wall_seconds} s`,
  ];
  console.log(out.join('\n'));
  if (lost > 0 || ingest.errors > 0) process.exitCode = 1;
}

/** `--ingest-only`: (a') then the service, the ratio, and the loss check; no files written. */
async function ingestOnly(): Promise<void> {
  let nest_: Fire | null = null;
  if (!flag('no-nest')) {
    const nest = await startLimitServer('nest-minimal.js', 'limit-nest');
    nest_ = await measure(nest.port, "(a') minimal NestJS", 'n', PHASE_S, {
      pid: nest.child.pid,
    });
    await stop(nest.child);
  }
  let pipe_: Fire | null = null;
  if (flag('pipeline') || option('pipeline')) {
    const pipe = await startLimitServer('nest-minimal.js', 'limit-nest-pipeline', {
      NEST_MINIMAL_PIPELINE: option('pipeline') ?? '1',
    });
    pipe_ = await measure(pipe.port, "(a'') minimal NestJS + guard + interceptor", 'q', PHASE_S, {
      pid: pipe.child.pid,
    });
    await stop(pipe.child);
  }
  if (flag('no-service')) {
    log(
      `(a') ${nest_?.rps.toFixed(0) ?? '-'}/s, ${nest_?.cpu_us ?? '-'} µs; ` +
        `(a'') ${pipe_?.rps.toFixed(0) ?? '-'}/s, ${pipe_?.cpu_us ?? '-'} µs`,
    );
    return;
  }
  const svc = await startService('ingest-only', await freePort(), {
    env: EXTRA_ENV,
    nodeArgs: [
      ...NODE_ARGS,
      ...(flag('cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] : []),
    ],
  });
  const ids: string[] = [];
  const r = await measure(svc.port, 'ingest (service)', 'i', PHASE_S, {
    pid: svc.child.pid,
    withPg: svc.dbUrl,
    acceptedIds: ids,
  });
  const lost = await withDb(svc.dbUrl, (c) => countLost(c, ids));
  let durable_: Fire | null = null;
  if (flag('durable')) {
    await withDb(svc.dbUrl, (c) => drainBacklog(c));
    await createBenchTables(svc);
    durable_ = await durableLimit(svc);
  }
  await stop(svc.child);
  const file = flag('cpu-prof') ? newestProfile() : null;
  if (file) {
    const text = formatSummary(summarize(file, 40, '/dist/src/webhooks/signature.guard'));
    writeFileSync(join(WORK, 'profile-summary.txt'), `${text}\n`);
    log(`profile summary (also in bench/.work/profile-summary.txt):\n${text}`);
  }
  log(
    `ingest ${r.rps.toFixed(0)}/s, (a') ${nest_?.rps.toFixed(0) ?? '-'}/s, ` +
      `ratio ${nest_ ? ratio(r.rps, nest_.rps) : '-'}, ` +
      `p99 ${r.p99} ms, errors ${r.errors}, lost ${lost} of ${ids.length}; CPU µs per delivery ` +
      `${r.cpu_us ?? '-'} (+ PostgreSQL ${r.pg_cpu_us ?? '-'}) vs (a') ${nest_?.cpu_us ?? '-'}` +
      (pipe_ ? `; (a'') ${pipe_.rps.toFixed(0)}/s, ${pipe_.cpu_us ?? '-'} µs` : '') +
      (durable_
        ? `; (c) ${durable_.rps.toFixed(0)}/s, ${durable_.cpu_us ?? '-'} µs ` +
          `(+ PostgreSQL ${durable_.pg_cpu_us ?? '-'}), ingest / (c) ${ratio(r.rps, durable_.rps)}`
        : ''),
  );
  if (lost > 0 || r.errors > 0) process.exitCode = 1;
}

function killAll(): void {
  for (const c of children) {
    try {
      c.proc.kill('SIGTERM');
    } catch {
      // gone
    }
  }
}

process.once('SIGINT', () => {
  killAll();
  process.exit(130);
});

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  killAll();
  process.exit(1);
});
