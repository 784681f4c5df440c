/**
 * The bench's entry point, which picks one part. `npm run bench` (full, ~15 min) and
 * `npm run bench -- --quick` (~1 min), the default part (bench/throughput.ts): one run on one
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
 * `--part=audit`: CSV export against COPY, and the audit write's cost on a run (bench/audit.ts).
 * `--part=suggest-speed`: suggestions against the exact-rule run of the same size (bench/suggest-speed.ts).
 * `--part=statements`: statement import against COPY, and webhooks during an import (bench/statements.ts).
 *
 * Options: --quick, --sizes=10000,100000 (reconcile sizes), --seconds=N (ingest phase length),
 * --no-profile, --variants / --no-variants (short bursts with LOG_LEVEL=info and with
 * WORKER_ENABLED=false; on by default in the full run).
 */
import { auditBench } from './audit';
import { busBench } from './bus';
import { consoleBench } from './console';
import { latencyBench } from './latency';
import { killAll } from './processes';
import { qualityBench } from './quality';
import { option } from './settings';
import { statementsBench } from './statements';
import { suggestSpeedBench } from './suggest-speed';
import { throughputBench } from './throughput';

// Each part lives in its own file; this file only picks one (bench/throughput.ts is the default).
function main(): Promise<void> {
  if (option('part') === 'latency') return latencyBench();
  if (option('part') === 'quality') return qualityBench();
  if (option('part') === 'statements') return statementsBench();
  if (option('part') === 'console') return consoleBench();
  if (option('part') === 'bus') return busBench();
  if (option('part') === 'audit') return auditBench();
  if (option('part') === 'suggest-speed') return suggestSpeedBench();
  return throughputBench();
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
