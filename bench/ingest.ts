/** Part 1 (ingest) helpers: loss check, settling between rounds, the backlog; `--ingest-only`. */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { formatSummary, summarize } from './profile-summary';
import { freePort, log, round, sleep } from './util';
import {
  flag,
  option,
  WORK,
  PROF_DIR,
  PHASE_S,
  EXTRA_ENV,
  BACKLOG_WAIT_S,
  NODE_ARGS,
} from './settings';
import { Fire, measure } from './fire';
import { startLimitServer, startService, stop, withDb, countOf } from './processes';
import { createBenchTables, durableLimit } from './limits';

/** How many accepted event ids lack their webhook_events row or their transactions row. */
export async function countLost(c: Client, ids: string[]): Promise<number> {
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
export async function settle(dbUrl: string): Promise<void> {
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
export async function drainBacklog(c: Client): Promise<{ pending: number; seconds: number }> {
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

export function newestProfile(): string | null {
  if (!existsSync(PROF_DIR)) return null;
  const files = readdirSync(PROF_DIR)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(PROF_DIR, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0] ?? null;
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
    )
    .join('\n');
}

export const ratio = (a: number, b: number | null): number | null =>
  b && b > 0 ? round(a / b, 3) : null;

/** `--ingest-only`: (a') then the service, the ratio, and the loss check; no files written. */
export async function ingestOnly(): Promise<void> {
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
