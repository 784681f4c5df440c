/**
 * The default part of `npm run bench` (full, ~15 min) and `npm run bench -- --quick` (~1 min):
 * one run on one machine, with its own embedded PostgreSQL, of
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
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { drawChart } from './chart';
import { formatSummary, summarize, type ProfileSummary } from './profile-summary';
import { freePort, log, memOf, round, sleep, which } from './util';
import {
  QUICK,
  ROOT,
  BENCH,
  WORK,
  DATA_DIR,
  PROF_DIR,
  LOG_DIR,
  SERVICE_MAIN,
  CONNECTIONS,
  PHASE_S,
  ROUNDS,
  PGBENCH_S,
  SIZES,
  PROFILE_S,
  PROFILE,
  VARIANTS,
  INGEST_ONLY,
  RUNTIME_FLAGS,
} from './settings';
import { Fire, fire, measure, warmUp, measured, logFire, mergeRounds } from './fire';
import { startLimitServer, startService, stop, stopOrphanPostgres, withDb } from './processes';
import { countLost, settle, drainBacklog, newestProfile, table, ratio, ingestOnly } from './ingest';
import { PgbenchRow, pgLimit, createBenchTables } from './limits';
import { reconcile } from './reconcile';
import { RESET_SQL } from './reconcile-data';

export async function throughputBench(): Promise<void> {
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
