import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY } from '../support/app';
import { createTestDatabase, query } from '../support/database';
import { eventually, seedBody, WEBHOOK_SECRET } from '../support/webhooks';
import { recordFigures } from './support/figures';
import { deliver, spawnService, type ServiceProcess } from './support/service';

const SENDERS = 16;
const PER_SENDER = 400;
const KILL_AFTER_ACKS = 600;

describe('crash durability: kill -9 during a burst, restart on the same database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bank-sync-crash-'));
  const logFile = join(dir, 'service.log');
  let databaseUrl: string;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
  });
  afterAll(async () => {
    await service?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged delivery exactly once and resumes PENDING work', async () => {
    // The worker is off in the first life, so the crash leaves PENDING work behind for sure.
    service = await spawnService({ databaseUrl, logFile, env: { WORKER_ENABLED: 'false' } });
    const first = service;
    const acked = new Map<string, string>(); // event id → transaction id, answered 2xx
    const unknown = new Map<string, { txId: string; raw: string }>(); // no answer: it died
    let killedAt = 0;
    const body = (i: number, s: number): { eventId: string; txId: string; raw: string } => {
      // Every fifth event is a second event for an earlier transaction (stored as event only).
      const txId = i % 5 === 4 ? `crash-tx-${s}-${i - 1}` : `crash-tx-${s}-${i}`;
      const raw = JSON.stringify(seedBody({ transaction_id: txId, amount: `${1 + i}.25` }));
      return { eventId: `crash-evt-${s}-${i}`, txId, raw };
    };
    const sender = async (s: number): Promise<void> => {
      for (let i = 0; i < PER_SENDER && !killedAt; i++) {
        const { eventId, txId, raw } = body(i, s);
        try {
          const res = await deliver(first.url, raw, eventId);
          expect([eventId, res.status]).toEqual([eventId, 202]);
          acked.set(eventId, txId);
        } catch (err) {
          if (!killedAt) throw err;
          unknown.set(eventId, { txId, raw });
          return;
        }
      }
    };
    const killer = (async () => {
      await eventually(async () => (acked.size >= KILL_AFTER_ACKS ? true : undefined), 30_000);
      killedAt = Date.now();
      await first.kill9();
    })();
    const started = Date.now();
    await Promise.all([killer, ...Array.from({ length: SENDERS }, (_, s) => sender(s))]);
    expect(killedAt).toBeGreaterThan(0);

    // Every acknowledged event is stored exactly once, with its transaction.
    const ids = [...acked.keys()];
    const events = await query<{ event_id: string; n: string }>(
      databaseUrl,
      `SELECT event_id, count(*) AS n FROM webhook_events
        WHERE bank_id = 'default' AND event_id = ANY($1::text[]) GROUP BY event_id`,
      [ids],
    );
    expect(events).toHaveLength(ids.length);
    expect(events.filter((e) => e.n !== '1')).toEqual([]);
    const txIds = [...new Set(acked.values())];
    const txs = await query<{ external_id: string; n: string }>(
      databaseUrl,
      `SELECT external_id, count(*) AS n FROM transactions
        WHERE bank_id = 'default' AND external_id = ANY($1::text[]) GROUP BY external_id`,
      [txIds],
    );
    expect(txs).toHaveLength(txIds.length);
    const [pending] = await query<{ n: string }>(
      databaseUrl,
      `SELECT count(*) AS n FROM transactions WHERE status = 'PENDING'`,
    );
    expect(Number(pending.n)).toBeGreaterThan(0);

    // Second life, worker on: the bank retries what got no answer; PENDING work resumes.
    service = await spawnService({ databaseUrl, logFile });
    const second = service;
    for (const [eventId, { txId, raw }] of unknown) {
      const res = await deliver(second.url, raw, eventId);
      expect([200, 202]).toContain(res.status);
      acked.set(eventId, txId);
    }
    const processedIn = Date.now();
    await eventually(
      async () => {
        const [row] = await query<{ n: string }>(
          databaseUrl,
          `SELECT count(*) AS n FROM transactions WHERE status <> 'PROCESSED'`,
        );
        return row.n === '0' ? true : undefined;
      },
      30_000,
      'every transaction PROCESSED after the restart',
    );
    const resumeSeconds = (Date.now() - processedIn) / 1000;
    const [counts] = await query<{ events: string; txs: string }>(
      databaseUrl,
      `SELECT (SELECT count(*) FROM webhook_events) AS events,
              (SELECT count(*) FROM transactions) AS txs`,
    );
    expect(Number(counts.events)).toBeGreaterThanOrEqual(acked.size);
    await second.stop();
    service = undefined;

    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('listening');
    for (const secret of [WEBHOOK_SECRET, ADMIN_KEY]) expect(log).not.toContain(secret);
    recordFigures('crash', {
      senders: SENDERS,
      acked_before_kill: ids.length,
      in_flight_at_kill: unknown.size,
      pending_at_restart: Number(pending.n),
      events_stored: Number(counts.events),
      transactions_stored: Number(counts.txs),
      burst_seconds: (killedAt - started) / 1000,
      resume_to_all_processed_seconds: resumeSeconds,
    });
  }, 120_000);
});
