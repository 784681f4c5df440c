import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { eventually } from './support/webhooks';

// Enough allocations that a file (~19 MB) cannot sit whole in the sockets' buffers: a client
// that stops reading holds its export's COPY.
const ROWS = 100_000;

describe('exports under load: the per-instance limit and clients that go away', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);

  /** Starts an export and stops reading once the headers are in. */
  function stalled(): Promise<{ req: ClientRequest; res: IncomingMessage }> {
    return new Promise((resolve, reject) => {
      const req = request(`${t.url}/reconcile/matches/export?format=csv`, { headers: admin });
      req.on('response', (res) => {
        res.pause();
        resolve({ req, res });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The exports' COPY statements running on this test's database (parallel workers aside). */
  async function copies(): Promise<number> {
    const [row] = await query<{ n: number }>(
      t.databaseUrl,
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'
          AND query LIKE 'COPY (SELECT m.id%' AND state = 'active'`,
    );
    return row.n;
  }

  beforeAll(async () => {
    t = await startTestApp();
    await query(
      t.databaseUrl,
      `INSERT INTO invoices (id, invoice_number, normalized_number, customer, currency, amount_due)
       SELECT md5('inv' || g)::uuid, 'LIM-' || g, 'lim' || g, 'Customer ' || g, 'NGN', 1000000
         FROM generate_series(1, 1000) g`,
    );
    await query(
      t.databaseUrl,
      `INSERT INTO transactions (id, bank_id, external_id, amount, currency, direction,
                                 occurred_at, reference, status, unallocated_amount, processed_at)
       SELECT md5('tx' || g)::uuid, 'default', 'lim-' || g, 1234.5, 'NGN', 'credit', now(),
              'LIM-' || (1 + g % 1000), 'PROCESSED', 0, now()
         FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
    await query(
      t.databaseUrl,
      `INSERT INTO transaction_matches (transaction_id, invoice_id, amount, currency, rule,
                                        created_by, note)
       SELECT md5('tx' || g)::uuid, md5('inv' || (1 + g % 1000))::uuid, 1234.5, 'NGN', 'manual',
              'ops-alice', 'checked against the remittance advice, line ' || g
         FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
  }, 120_000);
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 export-busy beyond 4 at once, and a client that goes away ends its COPY', async () => {
    const held = await Promise.all([stalled(), stalled(), stalled(), stalled()]);
    try {
      expect(held.map((h) => h.res.statusCode)).toEqual([200, 200, 200, 200]);
      await eventually(async () => ((await copies()) === 4 ? true : undefined), 10_000, '4 COPY');

      const busy = await t.request('GET', '/reconcile/matches/export?format=csv', {
        headers: admin,
      });
      expect(busy.status).toBe(429);
      expect(busy.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(busy.headers.get('retry-after')).toBe('5');
      expect(busy.body).toMatchObject({ status: 429, retry_after: 5 });
      expect(busy.body.type).toMatch(/export-busy$/);
    } finally {
      for (const h of held) h.req.destroy();
    }

    // Gone clients: their COPY statements end and their connections are not handed back
    // mid-COPY; the slots are free again and the next file is whole.
    await eventually(async () => ((await copies()) === 0 ? true : undefined), 10_000, 'no COPY');
    const whole = await t.request('GET', '/reconcile/matches/export?format=csv', {
      headers: admin,
    });
    expect(whole.status).toBe(200);
    const lines = whole.text.split('\r\n').filter((l) => l !== '');
    expect(lines).toHaveLength(ROWS + 1);
    // The pool still answers ordinary requests (no connection left in a COPY state).
    const list = await t.request('GET', '/invoices?limit=5', { headers: admin });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(5);
  }, 60_000);
});
