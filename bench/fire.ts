/** Load generation: signed seed deliveries at 32 connections, measured phases and rounds. */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import {
  cpuSeconds,
  mainThreadCpuSeconds,
  log,
  postgresCpuSeconds,
  round,
  signedDeliveries,
} from './util';
import { CONNECTIONS, WARMUP_S, SECRET, PATH } from './settings';
import { withDb } from './processes';

export interface Fire {
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

export interface WalUse {
  bytes_per_delivery: number;
  fpi_per_delivery: number;
  checkpoints: number;
}

export const WAL_SQL = `SELECT w.wal_bytes::float8 AS bytes, w.wal_fpi::float8 AS fpi,
                        (c.num_timed + c.num_requested)::float8 AS checkpoints
                   FROM pg_stat_wal w, pg_stat_checkpointer c`;

export async function walCounters(
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
export async function fire(
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

export interface MeasureOptions {
  pid?: number;
  withPg?: string;
  acceptedIds?: string[];
}

/**
 * Warm-up (not counted), then the measured phase. With the server's pid, also the CPU time it
 * (and, with `withPg`, PostgreSQL) spent per delivery: on these shared cores that is a steadier
 * figure than deliveries/s, because a CPU-bound server's rate is about 1 / (its CPU per delivery).
 */
export async function measure(
  port: number,
  label: string,
  tag: string,
  seconds: number,
  opts: MeasureOptions = {},
): Promise<Fire> {
  await warmUp(port, label, tag, opts);
  return measured(port, label, tag, seconds, opts);
}

export async function warmUp(port: number, label: string, tag: string, opts: MeasureOptions) {
  log(`${label}: warm-up ${WARMUP_S} s`);
  await fire(port, WARMUP_S, `${tag}w`, opts.acceptedIds);
}

/** One measured phase (no warm-up). */
export async function measured(
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

export function logFire(label: string, r: Fire): void {
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
export function mergeRounds(parts: Fire[]): Fire {
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
