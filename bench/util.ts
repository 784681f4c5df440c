import { join, resolve } from 'node:path';
/**
 * Small helpers of the bench harness: processes, ports, /proc memory figures, HTTP without
 * client-side time limits, and the signed seed-format delivery every load phase sends.
 */
import type { Request as CannonRequest } from 'autocannon';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat's CPU times (100 on Linux unless reconfigured). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** `--name=value` of this process's arguments, or undefined. */
export function cliOption(name: string): string | undefined {
  return process.argv
    .slice(2)
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3);
}

/** An environment given on the command line, `K=V,K=V` (the value of `--env=`, say). */
export function envList(text: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (text ?? '')
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/** The checkout the benches run from (they run compiled, from bench/.work/build). */
export const BENCH_ROOT = resolve(__dirname, '..', '..', '..');
export const BENCH_WORK = join(BENCH_ROOT, 'bench', '.work');
/** The services' webhook secret, staff key and embedded PostgreSQL password under bench. */
export const BENCH_SECRET = 'bench-webhook-secret-0123456789';
export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789abcdefghij';
export const EMBEDDED_PG_PASSWORD = 'bank-sync-embedded';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function log(msg: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stdout.write(`[bench ${t}] ${msg}\n`);
}

/** A TCP port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** VmRSS / VmHWM (peak) of a process, in MiB, from /proc/<pid>/status. */
export function memOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : 0;
    };
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** utime + stime of a /proc `stat` file, in seconds; null if it is gone. */
function statCpuSeconds(file: string): number | null {
  try {
    const stat = readFileSync(file, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null if gone. */
export function cpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds (user + system) of a process's main thread (the event loop of a Node.js server),
 * from /proc/<pid>/task/<pid>/stat; null if gone. Over a phase's wall time, the share of it the
 * event loop ran: below 1 it waited (for PostgreSQL, for the client, or for a core).
 */
export function mainThreadCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

/** The postmaster of an embedded cluster in `dataDir` (`DATA_DIR`): its pid and port. */
export function postmasterOf(dataDir: string): { pid: number; port: string } {
  const lines = readFileSync(`${dataDir}/pg/postmaster.pid`, 'utf8').split('\n');
  return { pid: Number(lines[0]), port: lines[3] };
}

/**
 * CPU seconds used by PostgreSQL processes: every one (only one cluster runs during a bench), or
 * those of the cluster whose postmaster is `postmasterPid` (the A/B runs two).
 */
export function postgresCpuSeconds(postmasterPid?: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // f[1] is the parent pid: a backend's parent is its postmaster.
      const ours =
        postmasterPid === undefined ||
        Number(entry) === postmasterPid ||
        Number(f[1]) === postmasterPid;
      if (!ours) continue;
      // utime, stime, and cutime, cstime: the time of backends that have already exited.
      total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // exited meanwhile
    }
  }
  return total / CLOCK_TICKS;
}

/** Resets the peak RSS (VmHWM) of a process to its current RSS; false where not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples RSS every `everyMs` until stopped; returns the highest value seen (MiB). */
export function rssSampler(pid: number, everyMs = 100): { stop(): number } {
  let peak = memOf(pid)?.rss ?? 0;
  const timer = setInterval(() => {
    const m = memOf(pid);
    if (m && m.rss > peak) peak = m.rss;
  }, everyMs);
  return {
    stop(): number {
      clearInterval(timer);
      const m = memOf(pid);
      if (m && m.rss > peak) peak = m.rss;
      return peak;
    },
  };
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request with no client-side time limit (a 1M reconciliation run takes minutes). */
export function http(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 0 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function hmacHex(secret: string, raw: string | Buffer): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

/** The seed-format body of delivery `n` of run `tag`: unique event and transaction ids. */
export function seedDelivery(
  tag: string,
  n: number,
  secret: string,
): { eventId: string; body: string; headers: Record<string, string> } {
  const eventId = `evt-${tag}-${n}`;
  const body =
    `{"transaction_id":"txn-${tag}-${n}","amount":5000,"currency":"NGN",` +
    `"occurred_at":"2026-02-27T12:00:00Z","reference":"INV-001","description":"Transfer",` +
    `"direction":"credit","counterparty":"Acme Ltd"}`;
  return {
    eventId,
    body,
    headers: {
      'content-type': 'application/json',
      'x-event-id': eventId,
      'x-signature': `sha256=${hmacHex(secret, body)}`,
    },
  };
}

/** autocannon's `setupRequest` sending `seedDelivery(tag, 0)`, `(tag, 1)`, … signed with `secret`. */
export function signedDeliveries(
  tag: string,
  secret: string,
): (req: CannonRequest) => CannonRequest {
  let n = 0;
  return (req) => {
    const d = seedDelivery(tag, n++, secret);
    return { ...req, body: d.body, headers: { ...req.headers, ...d.headers } };
  };
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  logFile: string;
  exited: Promise<number | null>;
}

/** Starts `node <args>` with its output appended to `logFile`. */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv, logFile: string): Child {
  const fd = openSync(logFile, 'a');
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => resolve(code)),
  );
  if (proc.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`);
  return { proc, pid: proc.pid, logFile, exited };
}

export function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(child: Child, graceMs = 30_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const done = await Promise.race([
    child.exited.then(() => true),
    sleep(graceMs).then(() => false),
  ]);
  if (!done) {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
}

/** Polls `url` until it answers `status` (default 200); throws with the log when it does not. */
export async function waitHttp(child: Child, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) {
      throw new Error(
        `process ${child.pid} exited (${child.proc.exitCode}):\n${tail(child.logFile)}`,
      );
    }
    try {
      const res = await http('GET', url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready:\n${tail(child.logFile)}`);
    await sleep(150);
  }
}

/** `which`: the absolute path of a program on PATH, or null. */
export function which(program: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/**
 * The node flags of a checkout's `npm start` (`node [flags] dist/src/main.js`): the bench runs
 * a service, and every limit server alike, as it is deployed.
 */
export function startFlagsOf(dir: string): string[] {
  const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = pkg.scripts.start.split(/\s+/);
  const main = words.indexOf('dist/src/main.js');
  if (words[0] !== 'node' || main < 0) {
    throw new Error(`${dir}/package.json "start" is not "node [flags] dist/src/main.js"`);
  }
  // BENCH_NODE_FLAGS: more flags for the services a bench starts (a CPU profile:
  // BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'; NODE_OPTIONS may not carry them).
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((w) => w !== '');
  return [...words.slice(1, main), ...extra];
}

/**
 * Starts the built service of a checkout (`dir` with `dist/`) as its `npm start` would, on a
 * free port, with its own embedded PostgreSQL in a fresh `dataDir`, signing secret `secret`, the
 * hourly run held off; resolves once it is ready.
 */
export async function startServiceBuild(
  dir: string,
  dataDir: string,
  secret: string,
  extra: Record<string, string>,
  logFile: string,
): Promise<{ child: Child; port: number; env: NodeJS.ProcessEnv }> {
  const port = await freePort();
  rmSync(dataDir, { recursive: true, force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    WEBHOOK_SECRET: secret,
    LOG_LEVEL: 'warn',
    RECONCILE_CRON: '0 0 1 1 *',
    NODE_ENV: 'production',
    ...extra,
  };
  delete env.DATABASE_URL;
  const child = spawnNode([...startFlagsOf(dir), `${dir}/dist/src/main.js`], env, logFile);
  await waitHttp(child, `http://127.0.0.1:${port}/health/ready`);
  return { child, port, env };
}
