import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';

describe('POST /transactions/retry (bulk)', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);
  let viewer: Record<string, string> = {};
  let operator: Record<string, string> = {};
  const statuses = async () =>
    Object.fromEntries(
      (
        await query<{ external_id: string; status: string; attempts: number }>(
          t.databaseUrl,
          `SELECT external_id, status, attempts FROM transactions ORDER BY external_id`,
        )
      ).map((r) => [r.external_id, `${r.status}/${r.attempts}`]),
    );

  beforeAll(async () => {
    t = await startTestApp({ WORKER_ENABLED: 'false' });
    for (const role of ['viewer', 'operator'] as const) {
      const res = await t.request('POST', '/api-keys', {
        headers: admin,
        json: { name: `bulk-${role}`, role },
      });
      if (role === 'viewer') viewer = bearer(res.body.key as string);
      else operator = bearer(res.body.key as string);
    }
    await query(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, occurred_at,
                                 unallocated_amount, status, attempts, last_error)
       VALUES ('default', 'f_jan', 10, 'NGN', '2026-01-15T00:00:00Z', 10, 'FAILED', 8, 'x'),
              ('default', 'f_feb', 10, 'NGN', '2026-02-15T00:00:00Z', 10, 'FAILED', 8, 'x'),
              ('other',   'f_other', 10, 'NGN', '2026-02-15T00:00:00Z', 10, 'FAILED', 8, 'x'),
              ('default', 'p_feb', 10, 'NGN', '2026-02-15T00:00:00Z', 10, 'PROCESSED', 1, NULL)`,
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('400 problem+json for a bad body, changing nothing', async () => {
    const before = await statuses();
    for (const [body, field] of [
      [{ status: 'PENDING', dry_run: true }, 'status'],
      [{ dry_run: true }, 'status'],
      [{ status: 'FAILED' }, 'dry_run'],
      [{ status: 'FAILED', dry_run: 'yes' }, 'dry_run'],
      [{ status: 'FAILED', dry_run: false, from: 'last week' }, 'from'],
      [{ status: 'FAILED', dry_run: false, to: '2026-01-01T10' }, 'to'],
      [{ status: 'FAILED', dry_run: false, bank: 7 }, 'bank'],
      [{ status: 'FAILED', dry_run: false, ids: [] }, 'ids'],
    ] as Array<[Record<string, unknown>, string]>) {
      const res = await t.request('POST', '/transactions/retry', { headers: operator, json: body });
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await statuses()).toEqual(before);
  });

  it('viewer may not; a dry run counts and changes nothing', async () => {
    const before = await statuses();
    const refused = await t.request('POST', '/transactions/retry', {
      headers: viewer,
      json: { status: 'FAILED', dry_run: true },
    });
    expect(refused.status).toBe(403);
    const dry = await t.request('POST', '/transactions/retry', {
      headers: operator,
      json: { status: 'FAILED', dry_run: true },
    });
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({ count: 3 });
    const filtered = await t.request('POST', '/transactions/retry', {
      headers: operator,
      json: { status: 'FAILED', bank: 'default', from: '2026-02-01', dry_run: true },
    });
    expect(filtered.body).toEqual({ count: 1 });
    expect(await statuses()).toEqual(before);
  });

  it('re-queues the FAILED transactions the filters select, in one go, once', async () => {
    const res = await t.request('POST', '/transactions/retry', {
      headers: operator,
      json: { status: 'FAILED', bank: 'default', to: '2026-02-01T00:00:00Z', dry_run: false },
    });
    expect(res.status).toBe(200);
    const [jan] = await query<{ id: string }>(
      t.databaseUrl,
      `SELECT id FROM transactions WHERE external_id = 'f_jan'`,
    );
    expect(res.body).toEqual({ count: 1, transaction_ids: [jan.id], ids_truncated: false });
    expect(await statuses()).toEqual({
      f_feb: 'FAILED/8',
      f_jan: 'PENDING/0',
      f_other: 'FAILED/8',
      p_feb: 'PROCESSED/1',
    });
    const rest = await t.request('POST', '/transactions/retry', {
      headers: operator,
      json: { status: 'FAILED', dry_run: false },
    });
    expect(rest.body.count).toBe(2);
    const again = await t.request('POST', '/transactions/retry', {
      headers: operator,
      json: { status: 'FAILED', dry_run: false },
    });
    expect(again.body).toEqual({ count: 0, transaction_ids: [], ids_truncated: false });
    expect(await statuses()).toEqual({
      f_feb: 'PENDING/0',
      f_jan: 'PENDING/0',
      f_other: 'PENDING/0',
      p_feb: 'PROCESSED/1',
    });
  });
});
