import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { eventually, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

describe('background processing and the transactions API', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET, PROCESSING_LEASE_MS: '300' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a due seed-format transaction not yet processed is completed by the next claim', async () => {
    // (The lease of a fetch whose worker died: webhooks-up.e2e-spec.ts.)
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, occurred_at, unallocated_amount,
                                 attempts, next_attempt_at)
       VALUES ('default', 'txn_orphan', 10, 'NGN', now(), 10, 1, now() + interval '400 milliseconds')
       RETURNING id`,
    );
    const tx = await eventually(async () => {
      const res = await t.request('GET', `/transactions/${row.id}`, { headers: admin });
      return res.body.status === 'PROCESSED' ? res.body : undefined;
    });
    expect(tx.attempts).toBe(2);
  });

  it('lists with filters and a stable cursor, newest first', async () => {
    for (let i = 0; i < 5; i++) {
      const raw = JSON.stringify(
        seedBody({
          transaction_id: `page_${i}`,
          reference: i % 2 ? 'REF-ODD' : 'REF-EVEN',
          occurred_at: `2026-03-0${i + 1}T00:00:00Z`,
        }),
      );
      expect((await sendSigned(t, raw, `page_evt_${i}`)).status).toBe(202);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ external_id: string }>; next_cursor: string | null } } =
        await t.request(
          'GET',
          `/transactions?limit=2&reference=REF-EVEN${cursor ? `&cursor=${cursor}` : ''}`,
          {
            headers: admin,
          },
        );
      seen.push(...page.body.data.map((d) => d.external_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['page_4', 'page_2', 'page_0']);

    const ranged = await t.request(
      'GET',
      '/transactions?from=2026-03-02T00:00:00Z&to=2026-03-04T00:00:00Z',
      {
        headers: admin,
      },
    );
    expect(ranged.body.data.map((d: { external_id: string }) => d.external_id).sort()).toEqual([
      'page_1',
      'page_2',
    ]);

    const bad = await t.request('GET', '/transactions?status=DONE&limit=9999', { headers: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'limit',
      'status',
    ]);
    expect((await t.request('GET', '/transactions/not-a-uuid', { headers: admin })).status).toBe(
      404,
    );
    expect((await t.request('GET', '/transactions')).status).toBe(401);
  });

  it('answers 503 (not 500) while the database is unreachable, and recovers by itself', async () => {
    const db = new URL(t.databaseUrl).pathname.slice(1);
    const admin = t.databaseUrl.replace(/\/[^/]*$/, '/postgres');
    const { Client } = await import('pg');
    const c = new Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [
        db,
      ]);
      const raw = JSON.stringify(seedBody({ transaction_id: 'txn_outage' }));
      const started = Date.now();
      const res = await sendSigned(t, raw, 'evt_outage');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await t.request('GET', '/health/ready')).status).toBe(503);
    } finally {
      await c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
      await c.end();
    }
    const raw = JSON.stringify(seedBody({ transaction_id: 'txn_outage' }));
    const after = await eventually(async () => {
      const res = await sendSigned(t, raw, 'evt_outage');
      return res.status === 503 ? undefined : res;
    });
    expect(after.status).toBe(202);
    expect(
      await query(t.databaseUrl, `SELECT 1 FROM transactions WHERE external_id = 'txn_outage'`),
    ).toHaveLength(1);
  });
});
