/**
 * Simultaneous A/B of two builds of the service: `npm run bench:ab -- <dirA> <dirB>`.
 *
 * On these shared 2-core hosts the speed of the machine swings by 20–30 % from one minute to
 * the next, so two builds measured one after the other differ by more than most changes are
 * worth. Here both services (each with its own embedded PostgreSQL) take load at the same
 * time, from two load generators at 32 connections each, so a slow stretch slows both alike.
 * An A/A run of one build against itself lands within ±4 % per round (bench/RESULTS.md).
 *
 * Each directory is a checkout with `dist/` built (`npm run build`); a worktree is the usual
 * way: `git worktree add /tmp/ab-old HEAD~1 && ln -s "$PWD/node_modules" /tmp/ab-old/ &&
 * (cd /tmp/ab-old && npm run build)`. Each service runs with the node flags of its own
 * `npm start`. `limit` instead of a directory is the minimal Nest route (a'') of the bench.
 *
 * Options: --seconds=8 --rounds=3 --env-a=K=V,K=V --env-b=K=V,K=V. Per round: 3 s of warm-up,
 * the measured phase, then both backlogs drained (PENDING rows, undispatched events), so that
 * neither round's background work falls into the next.
 */
import autocannon from 'autocannon';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import {
  cpuSeconds,
  envList,
  freePort,
  http,
  log,
  postgresCpuSeconds,
  postmasterOf,
  signedDeliveries,
  sleep,
  spawnNode,
  startFlagsOf,
  startServiceBuild,
  stopChild,
  type Child,
} from './util';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const [dirA, dirB] = argv.filter((a) => !a.startsWith('--'));
const SECONDS = Number(option('seconds') ?? 8);
const ROUNDS = Number(option('rounds') ?? 3);
const CONNECTIONS = 32;
const SECRET = 'bench-webhook-secret-0123456789';
const PG_PASSWORD = 'bank-sync-embedded';
const WORK = resolve(__dirname, '..', '..', '.work');
const LIMIT_SERVER = join(__dirname, 'servers', 'nest-minimal.js');

const envOption = (name: string): Record<string, string> => envList(option(name));

interface Side {
  name: string;
  child: Child;
  port: number;
  /** null for the limit server, which has no database. */
  dataDir: string | null;
  /** Its background work runs (WORKER_ENABLED): only then is its backlog drained between rounds. */
  worker: boolean;
}

async function start(dir: string, name: string, extra: Record<string, string>): Promise<Side> {
  const logFile = join(WORK, 'logs', `ab-${name}.log`);
  if (dir === 'limit') {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      WEBHOOK_SECRET: SECRET,
      ...extra,
    };
    env.NEST_MINIMAL_PIPELINE ??= '1';
    const child = spawnNode(
      [...startFlagsOf(resolve(WORK, '..', '..')), LIMIT_SERVER],
      env,
      logFile,
    );
    for (let tries = 0; ; tries++) {
      // Any answer (404 for GET /) means it listens.
      if (
        await http('GET', `http://127.0.0.1:${port}/`).then(
          () => true,
          () => false,
        )
      )
        break;
      if (tries > 200) throw new Error(`the limit server did not start: see ${logFile}`);
      await sleep(150);
    }
    return { name, child, port, dataDir: null, worker: false };
  }
  const dataDir = join(WORK, `ab-${name}`);
  const { child, port, env } = await startServiceBuild(dir, dataDir, SECRET, extra, logFile);
  return { name, child, port, dataDir, worker: env.WORKER_ENABLED !== 'false' };
}

function postmaster(side: Side): { pid: number; port: string } | null {
  return side.dataDir ? postmasterOf(side.dataDir) : null;
}

/** CPU seconds of the server and of its PostgreSQL so far. */
function cpuOf(side: Side): [number, number] {
  const pm = postmaster(side);
  return [cpuSeconds(side.child.pid) ?? 0, pm ? postgresCpuSeconds(pm.pid) : 0];
}

async function fire(
  side: Side,
  seconds: number,
  tag: string,
): Promise<{ accepted: number; rps: number; p99: number; errors: number }> {
  let accepted = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${side.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/webhooks/bank/transactions',
        setupRequest: signedDeliveries(tag, SECRET),
        onResponse: (status) => {
          if (status === 202) accepted++;
        },
      },
    ],
  });
  return {
    accepted,
    rps: accepted / Math.max(r.duration, 0.001),
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

async function drain(side: Side): Promise<void> {
  const pm = postmaster(side);
  if (!pm || !side.worker) return;
  const c = new Client({
    connectionString: `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${pm.port}/bank_sync`,
  });
  await c.connect();
  try {
    for (;;) {
      const { rows } = await c.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM transactions WHERE status = 'PENDING')
              + (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL) AS n`,
      );
      if (Number(rows[0].n) === 0) return;
      await sleep(500);
    }
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  if (!dirA || !dirB) throw new Error('usage: npm run bench:ab -- <dirA|limit> <dirB|limit>');
  mkdirSync(join(WORK, 'logs'), { recursive: true });
  const a = await start(dirA === 'limit' ? 'limit' : resolve(dirA), 'A', envOption('env-a'));
  const b = await start(dirB === 'limit' ? 'limit' : resolve(dirB), 'B', envOption('env-b'));
  log(`A ${dirA}, B ${dirB}: ${ROUNDS} rounds of ${SECONDS} s, both under load at once`);
  let sumA = 0;
  let sumB = 0;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all([fire(a, 3, `wa${round}`), fire(b, 3, `wb${round}`)]);
      const before = [cpuOf(a), cpuOf(b)];
      const [ra, rb] = await Promise.all([
        fire(a, SECONDS, `a${round}`),
        fire(b, SECONDS, `b${round}`),
      ]);
      const after = [cpuOf(a), cpuOf(b)];
      const us = (i: number, j: number, n: number): number =>
        Math.round(((after[i][j] - before[i][j]) * 1e6) / Math.max(n, 1));
      const side = (label: string, r: typeof ra, i: number): string =>
        `${label} ${r.rps.toFixed(0)}/s, p99 ${r.p99} ms, errors ${r.errors}, ` +
        `CPU ${us(i, 0, r.accepted)} µs (+ PostgreSQL ${us(i, 1, r.accepted)} µs) per delivery`;
      log(
        `round ${round}: ${side('A', ra, 0)} | ${side('B', rb, 1)} | ` +
          `B / A ${(rb.rps / ra.rps).toFixed(3)}`,
      );
      sumA += ra.rps;
      sumB += rb.rps;
      await Promise.all([drain(a), drain(b)]);
    }
    log(`B / A over all rounds: ${(sumB / sumA).toFixed(3)}`);
  } finally {
    await Promise.all([stopChild(a.child), stopChild(b.child)]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
