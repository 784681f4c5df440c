import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres';
import { freePort } from '../support/net';
import { eventually, seedBody } from '../support/webhooks';
import { recordFigures } from './support/figures';
import { deliver, percentile, spawnService, type ServiceProcess } from './support/service';

const SENDERS = 8;
const OUTAGE_MS = 5000;
const INTAKE_TIMEOUT_MS = 1500;

/** The cluster's postmaster and every process it started (backends, checkpointer, …). */
function postgresProcesses(dataDir: string): number[] {
  const postmaster = Number(
    readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
  );
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

interface Sent {
  eventId: string;
  status: number | 'network-error';
  ms: number;
  at: number;
}

async function count(url: string, sql: string, params: unknown[]): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>(sql, params)).rows[0].n);
  } finally {
    await c.end();
  }
}

describe('database outage: PostgreSQL stopped under load, then started again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bank-sync-outage-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the postgres user, which must enter it
  let port: number;
  let db: EmbeddedDatabase | undefined;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    port = await freePort();
    db = await startEmbeddedPostgres({ dataDir: dir, port, database: 'bank_sync_test_outage' });
    const ds = new DataSource(dataSourceOptions(db.url, 2));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    service = await spawnService({
      databaseUrl: db.url,
      logFile: join(dir, 'service.log'),
      env: { INTAKE_TIMEOUT_MS: String(INTAKE_TIMEOUT_MS) },
    });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 quickly while PostgreSQL is down, never 500, and recovers without a restart', async () => {
    const url = (service as ServiceProcess).url;
    const sent: Sent[] = [];
    let phase: 'before' | 'down' | 'after' = 'before';
    let stop = false;
    let n = 0;
    const sender = async (s: number): Promise<void> => {
      while (!stop && n < 20_000) {
        const eventId = `outage-${s}-${++n}`;
        const raw = JSON.stringify(seedBody({ transaction_id: eventId, amount: '10.00' }));
        const at = Date.now();
        try {
          const res = await deliver(url, raw, eventId, 20_000);
          sent.push({ eventId, status: res.status, ms: res.ms, at });
        } catch {
          sent.push({ eventId, status: 'network-error', ms: Date.now() - at, at });
        }
        // While PostgreSQL is down answers are instant; pace the loop so it does not spin.
        if (phase === 'down') await new Promise((r) => setTimeout(r, 20));
      }
    };
    const load = Promise.all(Array.from({ length: SENDERS }, (_, s) => sender(s)));
    await new Promise((r) => setTimeout(r, 1000));

    const stoppedAt = Date.now();
    phase = 'down';
    await (db as EmbeddedDatabase).stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(10_000) });
    expect(ready.status).toBe(503);

    const restartedAt = Date.now();
    db = await startEmbeddedPostgres({ dataDir: dir, port, database: 'bank_sync_test_outage' });
    phase = 'after';
    const recovered = await eventually(
      async () => {
        const ok = sent.find((x) => x.at > restartedAt && x.status === 202);
        return ok ? Date.now() : undefined;
      },
      20_000,
      'a 202 after PostgreSQL is back',
    );
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await load;
    const readyAfter = await fetch(`${url}/health/ready`);
    expect(readyAfter.status).toBe(200);

    const statuses = new Map<string, number>();
    for (const x of sent) statuses.set(String(x.status), (statuses.get(String(x.status)) ?? 0) + 1);
    const during = sent.filter((x) => x.at >= stoppedAt && x.at < restartedAt);
    // Never a 500, a reset or a hang: 202 (committed before the stop) or 503, in seconds.
    expect(sent.filter((x) => x.status === 'network-error' || x.status === 500)).toEqual([]);
    expect(sent.filter((x) => x.status !== 202 && x.status !== 503)).toEqual([]);
    expect(during.filter((x) => x.status === 503).length).toBeGreaterThan(10);
    expect(Math.max(...sent.map((x) => x.ms))).toBeLessThan(8000);
    // After recovery, nothing but 202.
    expect(sent.filter((x) => x.at > recovered && x.status !== 202)).toEqual([]);

    // Nothing acknowledged is missing; nothing refused with 503 was acknowledged later as new.
    const dbUrl = db.url;
    const acked = sent.filter((x) => x.status === 202).map((x) => x.eventId);
    expect(
      await count(
        dbUrl,
        `SELECT count(*) AS n FROM webhook_events WHERE event_id = ANY($1::text[])`,
        [acked],
      ),
    ).toBe(acked.length);

    const ms503 = sent.filter((x) => x.status === 503).map((x) => x.ms);
    recordFigures('outage', {
      deliveries: sent.length,
      statuses: Object.fromEntries(statuses),
      outage_seconds: (restartedAt - stoppedAt) / 1000,
      answer_503_ms: {
        p50: percentile(ms503, 50),
        p99: percentile(ms503, 99),
        max: Math.max(0, ...ms503),
      },
      max_answer_ms: Math.max(...sent.map((x) => x.ms)),
      first_202_after_restart_seconds: (recovered - restartedAt) / 1000,
    });
  }, 90_000);

  it('answers 503 within INTAKE_TIMEOUT_MS while PostgreSQL hangs, and recovers', async () => {
    const url = (service as ServiceProcess).url;
    const send = (eventId: string): ReturnType<typeof deliver> =>
      deliver(url, JSON.stringify(seedBody({ transaction_id: eventId, amount: '10.00' })), eventId);
    expect((await send('hang-before')).status).toBe(202);
    // Frozen, not stopped: connections stay open and nothing answers, as when the database host
    // or the network to it hangs.
    const frozen = postgresProcesses(dir);
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    let during: Awaited<ReturnType<typeof deliver>>[];
    try {
      during = await Promise.all(['hang-1', 'hang-2', 'hang-3'].map(send));
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
    }
    for (const answer of during) {
      expect(answer.status).toBe(503);
      // A pooled connection: the statement's timeout. A new one: the connect timeout (3 s).
      expect(JSON.parse(answer.body).type).toMatch(/^\/problems\/database-(timeout|unavailable)$/);
      expect(answer.ms).toBeLessThan(INTAKE_TIMEOUT_MS + 5000);
    }
    // The banks retry: stored now (202), or stored after all when PostgreSQL resumed (200).
    const retried = await eventually(
      async () => {
        const answers = await Promise.all(['hang-1', 'hang-2', 'hang-3'].map(send));
        return answers.every((a) => a.status === 202 || a.status === 200) ? answers : undefined;
      },
      20_000,
      'the retries answered 2xx',
    );
    expect(retried.map((a) => JSON.parse(a.body).event_id)).toEqual(['hang-1', 'hang-2', 'hang-3']);
    expect(
      await count(
        (db as EmbeddedDatabase).url,
        `SELECT count(*) AS n FROM webhook_events WHERE event_id = ANY($1::text[])`,
        [['hang-1', 'hang-2', 'hang-3']],
      ),
    ).toBe(3);
    recordFigures('hang', {
      intake_timeout_ms: INTAKE_TIMEOUT_MS,
      answer_ms: during.map((a) => a.ms),
      types: during.map((a) => JSON.parse(a.body).type as string),
    });
  }, 60_000);
});
