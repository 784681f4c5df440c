import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_KEY } from '../../support/app';
import { hmacHex, WEBHOOK_SECRET } from '../../support/webhooks';
import { freePort } from '../../support/net';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');

/** The built service (`node dist/src/main.js`) as a child process, its output in `logFile`. */
export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** kill -9: no shutdown hook runs. */
  kill9(): Promise<void>;
  /** SIGTERM, the orderly shutdown. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  databaseUrl: string;
  logFile: string;
  port?: number;
  env?: Record<string, string>;
}

export async function spawnService(opts: SpawnOptions): Promise<ServiceProcess> {
  const port = opts.port ?? (await freePort());
  const out = openSync(opts.logFile, 'a');
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      TZ: 'UTC',
      PORT: String(port),
      DATABASE_URL: opts.databaseUrl,
      LOG_LEVEL: 'info',
      WEBHOOK_SECRET,
      ADMIN_API_KEY: ADMIN_KEY,
      RECONCILE_CRON: 'off',
      ...opts.env,
    },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (gone) {
      throw new Error(`the service exited during start-up:\n${tail(opts.logFile)}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the service did not answer /health within 30 s:\n${tail(opts.logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    exited,
    async kill9() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface Answer {
  status: number;
  ms: number;
  body: string;
}

/** One signed seed-format delivery to the default bank; a network failure is thrown. */
export async function deliver(
  url: string,
  raw: string,
  eventId: string,
  timeoutMs = 15_000,
): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${url}/webhooks/bank/transactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-event-id': eventId,
      'x-signature': hmacHex(WEBHOOK_SECRET, raw),
    },
    body: raw,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.text();
  return { status: res.status, ms: Date.now() - started, body };
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
