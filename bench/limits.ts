/** Part 2: the limits (b) PostgreSQL via pgbench and (c) a minimal durable route. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, round, seedDelivery } from './util';
import { WORK, PHASE_S, PGBENCH_S, PGBENCH_CLIENTS, SECRET, PG_PASSWORD } from './settings';
import { Fire, measure } from './fire';
import { startLimitServer, Service, stop, withDb } from './processes';

// One delivery per transaction, the rows and indexes the intake writes (same columns, same body
// size, unique ids); a single statement, like the intake's, so one round trip per commit.
export function pgbenchScript(): string {
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

export interface PgbenchRow {
  clients: number;
  tps: number;
  latency_ms: number;
}

export async function pgLimit(svc: Service, pgbench: string | null): Promise<PgbenchRow[]> {
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
export async function createBenchTables(svc: Service): Promise<void> {
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
export async function durableLimit(svc: Service): Promise<Fire> {
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
