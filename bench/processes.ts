/** The processes a bench part starts: limit servers, the service, PostgreSQL clients. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  type Child,
  freePort,
  http,
  log,
  postmasterOf,
  sleep,
  spawnNode,
  stopChild,
  tail,
  waitHttp,
} from './util';
import {
  BUILD,
  DATA_DIR,
  LOG_DIR,
  SERVICE_MAIN,
  SECRET,
  ADMIN_KEY,
  PG_PASSWORD,
  RUNTIME_FLAGS,
  LIMIT_NODE_ARGS,
} from './settings';

export const children = new Set<Child>();

export async function waitPort(child: Child, port: number, timeoutMs = 60_000): Promise<void> {
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

export async function startLimitServer(
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

export interface Service {
  child: Child;
  port: number;
  pgPort: number;
  url: string;
  dbUrl: string;
}

export async function startService(
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

export async function stop(child: Child): Promise<void> {
  await stopChild(child);
  children.delete(child);
}

/** A postmaster left on our data dir by a bench that was killed: stop it before wiping. */
export async function stopOrphanPostgres(): Promise<void> {
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

export async function withDb<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

export const countOf = async (c: Client, sql: string, params: unknown[] = []): Promise<number> => {
  const r = await c.query<{ n: string }>(sql, params);
  return Number(r.rows[0]?.n ?? 0);
};

export function killAll(): void {
  for (const c of children) {
    try {
      c.proc.kill('SIGTERM');
    } catch {
      // gone
    }
  }
}
