import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ADMIN_KEY } from '../support/app';
import { createTestDatabase, query } from '../support/database';
import { readStream, startNats, streamCount, type NatsServer } from '../support/nats';
import { eventually, seedBody, WEBHOOK_SECRET } from '../support/webhooks';
import { recordFigures } from './support/figures';
import { deliver, spawnService, type ServiceProcess } from './support/service';

const SENDERS = 8;
const PER_SENDER = 150;
const KILL_AFTER_PUBLISHED = 600;

interface Row extends Record<string, unknown> {
  id: string;
  aggregateid: string;
}

/**
 * The bus end to end: a burst of webhooks with the JetStream sink on; the service is killed
 * with -9 while the relay is publishing, the broker is killed and restarted while the service is
 * down and comes back after the service (so the second life starts with the bus away). Every
 * outbox event must be in the stream exactly once, each aggregate's events in commit order.
 */
describe('event bus: kill -9 mid-relay and a broker restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bank-sync-bus-crash-'));
  const logFile = join(dir, 'service.log');
  let databaseUrl: string;
  let nats: NatsServer;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    nats = await startNats();
  });
  afterAll(async () => {
    await service?.kill9();
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every event of the burst arrives exactly once, in order per transaction', async () => {
    const env = {
      EVENTS_NATS_URL: nats.url,
      EVENTS_NATS_TIMEOUT_MS: '1000',
      // The relay keeps publishing during the burst (it would give way for up to 5 s a batch).
      BACKGROUND_MAX_DEFER_MS: '100',
      BACKGROUND_POLL_MS: '100',
    };
    service = await spawnService({ databaseUrl, logFile, env });
    const first = service;
    const unanswered: Array<{ eventId: string; raw: string }> = [];
    let killedAt = 0;
    const sender = async (s: number): Promise<void> => {
      for (let i = 0; i < PER_SENDER; i++) {
        const eventId = `bus-crash-evt-${s}-${i}`;
        const raw = JSON.stringify(
          seedBody({ transaction_id: `bus-crash-tx-${s}-${i}`, amount: `${1 + i}.50` }),
        );
        if (killedAt) {
          unanswered.push({ eventId, raw });
          continue;
        }
        try {
          expect((await deliver(first.url, raw, eventId)).status).toBe(202);
        } catch (err) {
          if (!killedAt) throw err;
          unanswered.push({ eventId, raw });
        }
      }
    };
    const dispatched = async (): Promise<number> =>
      (
        await query<{ n: number }>(
          databaseUrl,
          `SELECT count(*)::int AS n FROM outbox_events WHERE dispatched_at IS NOT NULL`,
        )
      )[0].n;
    let publishedAtKill = 0;
    let dispatchedAtKill = 0;
    const killer = (async () => {
      // Mid-relay: the stream already holds events the relay has not yet committed as dispatched
      // (read in this order, the stream's count cannot be ahead only because of a later commit).
      // Made certain rather than waited for: once enough is published, this test holds a SHARE
      // lock on the outbox, which lets the relay claim and publish a batch but holds back its
      // UPDATE of dispatched_at (and the intake's inserts). A batch caught so is killed before
      // the lock goes; with nothing to claim, the lock goes and it tries again.
      const midBatch = async (): Promise<boolean> => {
        const inStream = await streamCount(nats.url);
        return inStream > (await dispatched());
      };
      await eventually(
        async () => ((await streamCount(nats.url)) >= KILL_AFTER_PUBLISHED ? true : undefined),
        60_000,
        `${KILL_AFTER_PUBLISHED} events in the stream`,
      );
      for (let attempt = 1; ; attempt++) {
        const blocker = new Client({ connectionString: databaseUrl });
        await blocker.connect();
        try {
          await blocker.query('BEGIN');
          await blocker.query('LOCK TABLE outbox_events IN SHARE MODE');
          const caught = await eventually(
            async () => ((await midBatch()) ? true : undefined),
            3_000,
            'a relay batch held between its acks and its commit',
          ).catch(() => false);
          if (caught) {
            killedAt = Date.now();
            await first.kill9();
            publishedAtKill = await streamCount(nats.url);
            dispatchedAtKill = await dispatched();
            break;
          }
        } finally {
          await blocker.query('ROLLBACK');
          await blocker.end();
        }
        if (attempt >= 20) throw new Error('no relay batch could be held mid-relay');
      }
    })();
    await Promise.all([killer, ...Array.from({ length: SENDERS }, (_, s) => sender(s))]);
    // Killed mid-relay: events in the stream whose batch never committed; relayed again later.
    const republished = publishedAtKill - dispatchedAtKill;
    expect(republished).toBeGreaterThan(0);

    // The broker dies too and is away while the service starts again.
    await nats.kill9();
    service = await spawnService({ databaseUrl, logFile, env });
    const second = service;
    for (const { eventId, raw } of unanswered) {
      expect([200, 202]).toContain((await deliver(second.url, raw, eventId)).status);
    }
    const ready = await fetch(`${second.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ok: true, event_bus: 'down' });
    await nats.start();

    const rows = await eventually(
      async () => {
        const [t] = await query<{ n: number }>(
          databaseUrl,
          `SELECT count(*)::int AS n FROM transactions WHERE status <> 'PROCESSED'`,
        );
        const all = await query<Row & { dispatched: boolean }>(
          databaseUrl,
          `SELECT id, aggregateid, dispatched_at IS NOT NULL AS dispatched
             FROM outbox_events ORDER BY seq`,
        );
        return t.n === 0 && all.every((r) => r.dispatched) ? all : undefined;
      },
      60_000,
      'every transaction processed and every event relayed',
    );
    expect(rows.length).toBeGreaterThanOrEqual(2 * SENDERS * PER_SENDER);
    const bus = await readStream(nats.url);

    // Exactly once: the stream's ids are the outbox's ids, none twice.
    const ids = bus.map((m) => m.msgId!);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(rows.map((r) => r.id).sort());
    // In order per transaction (per aggregate): the stream's order is the outbox's commit order.
    const seqOf = new Map(rows.map((r, i) => [r.id, i]));
    const aggregateOf = new Map(rows.map((r) => [r.id, r.aggregateid]));
    const lastSeen = new Map<string, number>();
    const outOfOrder: string[] = [];
    for (const id of ids) {
      const aggregate = aggregateOf.get(id)!;
      const seq = seqOf.get(id)!;
      if ((lastSeen.get(aggregate) ?? -1) > seq) outOfOrder.push(aggregate);
      lastSeen.set(aggregate, seq);
    }
    expect(outOfOrder).toEqual([]);

    const metrics = await (
      await fetch(`${second.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).text();
    const duplicates = Number(
      /bank_sync_event_bus_published_total\{outcome="duplicate"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    // The batch the kill interrupted went out again and the stream dropped exactly those copies.
    expect(duplicates).toBe(republished);
    await second.stop();
    service = undefined;
    const log = readFileSync(logFile, 'utf8');
    for (const secret of [WEBHOOK_SECRET, ADMIN_KEY]) expect(log).not.toContain(secret);
    recordFigures('bus-crash', {
      deliveries: SENDERS * PER_SENDER,
      events: rows.length,
      published_at_kill: publishedAtKill,
      dispatched_at_kill: dispatchedAtKill,
      unanswered_at_kill: unanswered.length,
      republished_duplicates_dropped: duplicates,
      stream_messages: bus.length,
    });
  }, 180_000);
});
