import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { Client } from 'pg';
import { ReconcileCron } from '../src/reconciliation/reconcile.cron';
import { RUN_LOCK_KEY } from '../src/reconciliation/runs.service';
import { query } from './support/database';
import { createApiBank } from './support/banks';
import { startFakeBank, upTransaction, type FakeBank } from './support/fake-bank';
import { eventually, hmacHex, seedBody } from './support/webhooks';

const admin = bearer(ADMIN_KEY);
const PULL_ENV = { PULL_TIMEOUT_MS: '300', PULL_RETRIES: '1', WEBHOOK_SECRET: 'acme-secret-123' };

/** A `standard` bank API serving `pages` (lists of seed-format transactions) by cursor. */
function standardPages(pages: unknown[][]): Parameters<FakeBank['handle']>[0] {
  return (_req, url) => {
    if (url.pathname !== '/v1/transactions') return undefined;
    const i = Number(url.searchParams.get('cursor') ?? '0');
    return {
      json: { data: pages[i] ?? [], next_cursor: i + 1 < pages.length ? String(i + 1) : null },
    };
  };
}

describe('scheduled fallback: pull missed transactions, then match', () => {
  let t: TestApp;
  let acme: FakeBank;
  let broken: FakeBank;
  let slow: FakeBank;
  let up: FakeBank;

  const page = (ids: string[]) =>
    ids.map((id) =>
      seedBody({
        transaction_id: id,
        amount: '100.00',
        reference: id === 'a2' ? 'INV-P1' : `misc ${id}`,
      }),
    );

  beforeAll(async () => {
    acme = await startFakeBank(
      standardPages([page(['a1', 'a2']), page(['a3', 'a4']), page(['a5'])]),
    );
    broken = await startFakeBank(() => ({ status: 500, json: { error: 'down' } }));
    slow = await startFakeBank(() => ({ json: { data: [], next_cursor: null }, delayMs: 2000 }));
    up = await startFakeBank((_req, url) => {
      if (url.pathname !== '/api/v1/transactions') return undefined;
      const second = url.searchParams.get('page[after]') === 'p2';
      return {
        json: {
          data: [
            (
              upTransaction(second ? 'up-2' : 'up-1', { value: '7.00', message: null }) as {
                data: unknown;
              }
            ).data,
          ],
          links: {
            prev: null,
            next: second ? null : `${up.url}/api/v1/transactions?page[after]=p2`,
          },
        },
      };
    });
    t = await startTestApp(PULL_ENV);
    await createApiBank(t, 'acme', `${acme.url}/v1`);
    await createApiBank(t, 'broken', `${broken.url}/v1`);
    await createApiBank(t, 'slow', `${slow.url}/v1`);
    await createApiBank(t, 'upbank', `${up.url}/api/v1`, 'up');
    const inv = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: 'INV-P1', amount_due: '100.00', currency: 'NGN' },
    });
    expect(inv.status).toBe(201);
    // a1 arrived by webhook; the pull must not duplicate it.
    const raw = JSON.stringify(page(['a1'])[0]);
    const res = await t.request('POST', '/webhooks/acme/transactions', {
      headers: {
        'content-type': 'application/json',
        'x-event-id': 'hook-a1',
        'x-signature': hmacHex('acme-secret-123', raw),
      },
      body: raw,
    });
    expect(res.status).toBe(202);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([acme.close(), broken.close(), slow.close(), up.close()]);
  });

  it('pulls three pages, ingests only the missing ones as source pull, records failing banks, matches', async () => {
    const res = await t.request('POST', '/reconcile/run', { headers: admin });
    expect(res.status).toBe(200);
    const banks = Object.fromEntries(
      res.body.banks.map((b: { bank_id: string }) => [b.bank_id, b]),
    );
    expect(banks.acme).toEqual({ bank_id: 'acme', pulled_count: 4, error: null });
    expect(banks.upbank).toEqual({ bank_id: 'upbank', pulled_count: 2, error: null });
    expect(banks.broken.error).toMatch(/500/);
    expect(banks.slow.error).toMatch(/tim/i);
    expect(res.body.pulled_count).toBe(6);
    expect(res.body.trigger).toBe('manual');
    // Two banks' pulls failed: the run finished, but it is not a success (issue 18).
    expect(res.body.status).toBe('partial');
    const again = await t.request('GET', `/reconcile/runs/${res.body.id}`, { headers: admin });
    expect(again.body.status).toBe('partial');

    const rows = await query<{ external_id: string; source: string }>(
      t.databaseUrl,
      `SELECT external_id, source FROM transactions WHERE bank_id = 'acme' ORDER BY external_id`,
    );
    expect(rows).toEqual([
      { external_id: 'a1', source: 'webhook' },
      ...['a2', 'a3', 'a4', 'a5'].map((external_id) => ({ external_id, source: 'pull' })),
    ]);
    const a2 = await query<{ id: string }>(
      t.databaseUrl,
      `SELECT id FROM transactions WHERE external_id = 'a2'`,
    );
    expect(res.body.matched_transaction_ids).toContain(a2[0].id);
    expect(acme.requests[0].authorization).toBe('Bearer acme-token');
    expect(acme.requests[0].path).toMatch(/^\/v1\/transactions\?since=/);
  });

  it('a second run pulls nothing new and changes nothing', async () => {
    const cursors = () =>
      query<{ bank_id: string; since: Date; ok: boolean }>(
        t.databaseUrl,
        `SELECT bank_id, since, last_success_at IS NOT NULL AS ok FROM bank_pull_cursors
          ORDER BY bank_id`,
      );
    const before = await cursors();
    const res = await t.request('POST', '/reconcile/run', { headers: admin });
    // A failing bank's cursor never moves: what it could not serve is asked for again.
    const after = await cursors();
    const broken = (rows: typeof before) => rows.find((c) => c.bank_id === 'broken');
    expect(broken(before)?.ok).toBe(false);
    expect(broken(after)?.since.getTime()).toBe(broken(before)?.since.getTime());
    expect(after.find((c) => c.bank_id === 'acme')?.since.getTime()).toBeGreaterThan(
      before.find((c) => c.bank_id === 'acme')?.since.getTime() ?? Infinity,
    );
    expect(res.body.pulled_count).toBe(0);
    expect(res.body.matched_count).toBe(0);
    const count = await query<{ n: string }>(
      t.databaseUrl,
      `SELECT count(*) AS n FROM transactions WHERE source = 'pull'`,
    );
    expect(Number(count[0].n)).toBe(6);
  });

  it('resumes from the stored cursor after a restart, with an overlap window', async () => {
    const [cursor] = await query<{ since: Date }>(
      t.databaseUrl,
      `SELECT since FROM bank_pull_cursors WHERE bank_id = 'acme'`,
    );
    await t.close();
    t = await startTestApp(PULL_ENV, t.databaseUrl);
    acme.requests.length = 0;
    const res = await t.request('POST', '/reconcile/run', { headers: admin });
    expect(res.status).toBe(200);
    const since = new Date(
      new URL(`http://x${acme.requests[0].path}`).searchParams.get('since') as string,
    );
    expect(cursor.since.getTime() - since.getTime()).toBe(15 * 60_000);
    const failed = await query<{ last_error: string | null }>(
      t.databaseUrl,
      `SELECT last_error FROM bank_pull_cursors WHERE bank_id = 'broken'`,
    );
    expect(failed[0].last_error).toMatch(/500/);
  });
});

describe('scheduled runs with two instances on one database', () => {
  it('runs exactly one scheduled run per tick', async () => {
    const env = { RECONCILE_CRON: '*/2 * * * * *' };
    const a = await startTestApp(env);
    const b = await startTestApp(env, a.databaseUrl);
    try {
      await eventually(
        async () => {
          const rows = await query<{ n: string }>(
            a.databaseUrl,
            `SELECT count(*) AS n FROM scheduled_ticks`,
          );
          return Number(rows[0].n) >= 3 ? true : undefined;
        },
        15_000,
        'three ticks',
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    const ticks = await query<{ tick_at: Date; claimed_by: string }>(
      a.databaseUrl,
      `SELECT tick_at, claimed_by FROM scheduled_ticks ORDER BY tick_at`,
    );
    for (const tick of ticks) expect(tick.tick_at.getUTCMilliseconds()).toBe(0);
    const runs = await query<{ n: string }>(
      a.databaseUrl,
      `SELECT count(*) AS n FROM reconciliation_runs WHERE trigger = 'scheduled'`,
    );
    // One run per recorded tick: a tick that met a run in progress (a run can outlast the 2 s
    // interval on a loaded machine) released its claim instead of recording a tick without one.
    expect(Number(runs[0].n)).toBe(ticks.length);
    const owners = new Set(ticks.map((x) => x.claimed_by));
    expect(owners.size).toBeGreaterThanOrEqual(1);
    const seconds = ticks.map((x) => x.tick_at.getTime() / 1000);
    expect(new Set(seconds).size).toBe(seconds.length);
  }, 30_000);

  it('a tick fired again after its run finished does not run again, on any instance', async () => {
    // A schedule whose timer never fires during the test: the ticks are fired by hand.
    const env = { RECONCILE_CRON: '0 0 1 1 *' };
    const a = await startTestApp(env);
    const b = await startTestApp(env, a.databaseUrl);
    try {
      const runs = () =>
        query<{ status: string }>(
          a.databaseUrl,
          `SELECT status FROM reconciliation_runs WHERE trigger = 'scheduled' ORDER BY started_at`,
        );
      const first = a.app.get(ReconcileCron);
      await first.tick(new Date('2030-01-01T00:00:00.005Z'));
      // tick() returns once its run is over: what follows is in sequence, not racing a run.
      expect(await runs()).toEqual([{ status: 'succeeded' }]);

      // No run is in progress now, so the run lock cannot refuse these: only the claim can.
      await first.tick(new Date('2030-01-01T00:00:00.005Z'));
      await first.tick(new Date('2030-01-01T00:00:01.500Z')); // a late timer, same tick
      await b.app.get(ReconcileCron).tick(new Date('2030-01-01T00:00:00.020Z'));
      expect(await runs()).toEqual([{ status: 'succeeded' }]);
      const ticks = await query<{ tick_at: Date }>(
        a.databaseUrl,
        `SELECT tick_at FROM scheduled_ticks ORDER BY tick_at`,
      );
      expect(ticks.map((x) => x.tick_at.toISOString())).toEqual(['2030-01-01T00:00:00.000Z']);

      // The next tick is claimed and runs.
      await b.app.get(ReconcileCron).tick(new Date('2031-01-01T00:00:00.005Z'));
      expect(await runs()).toEqual([{ status: 'succeeded' }, { status: 'succeeded' }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a tick that meets a run in progress releases its claim; the next tick runs', async () => {
    const a = await startTestApp({ RECONCILE_CRON: '0 0 1 1 *' });
    const holder = new Client({ connectionString: a.databaseUrl });
    await holder.connect();
    try {
      const cron = a.app.get(ReconcileCron);
      const firedAt = new Date('2030-01-01T00:00:00.005Z');
      // The run lock held elsewhere: a run is in progress (RunsService answers 409).
      await holder.query('SELECT pg_advisory_lock($1)', [RUN_LOCK_KEY]);
      await cron.tick(firedAt);
      const count = async (sql: string): Promise<number> =>
        Number((await query<{ n: string }>(a.databaseUrl, sql))[0].n);
      expect(await count(`SELECT count(*) AS n FROM scheduled_ticks`)).toBe(0);
      expect(
        await count(`SELECT count(*) AS n FROM reconciliation_runs WHERE trigger = 'scheduled'`),
      ).toBe(0);
      await holder.query('SELECT pg_advisory_unlock($1)', [RUN_LOCK_KEY]);
      await cron.tick(firedAt);
      expect(await count(`SELECT count(*) AS n FROM scheduled_ticks`)).toBe(1);
      expect(
        await count(`SELECT count(*) AS n FROM reconciliation_runs WHERE trigger = 'scheduled'`),
      ).toBe(1);
    } finally {
      await holder.end();
      await a.close();
    }
  });
});

describe('scheduled fallback: what a bank sends cannot break the run record', () => {
  it("a next link with a NUL is that bank's error, stored cleanly; the run is recorded", async () => {
    const bad = await startFakeBank(() => ({
      json: { data: [], links: { prev: null, next: 'https://\u0000evil/x' } },
    }));
    const t = await startTestApp(PULL_ENV);
    try {
      await createApiBank(t, 'nulnext', `${bad.url}/api/v1`, 'up');
      const run = await t.request('POST', '/reconcile/run', { headers: admin });
      expect(run.status).toBe(200);
      const [result] = run.body.banks;
      expect(result.bank_id).toBe('nulnext');
      expect(result.error).toEqual(expect.any(String));
      expect(result.error).not.toContain('\u0000');
      const [cursor] = await query<{ last_error: string }>(
        t.databaseUrl,
        `SELECT last_error FROM bank_pull_cursors WHERE bank_id = 'nulnext'`,
      );
      expect(cursor.last_error).toBe(result.error);
    } finally {
      await t.close();
      await bad.close();
    }
  });
});

describe('scheduled fallback: a chain longer than one run goes on in the next', () => {
  it('pulls PULL_MAX_PAGES pages a run, resumes where it stopped, and moves the cursor at the end', async () => {
    // Seven pages of one transaction each, three pages a run: three runs.
    const bank = await startFakeBank((_req, url) => {
      if (url.pathname !== '/v1/transactions') return undefined;
      const n = Number(url.searchParams.get('cursor') ?? '0');
      return {
        json: {
          data: [seedBody({ transaction_id: `long-${n}`, amount: '10.00', reference: 'x' })],
          next_cursor: n < 6 ? String(n + 1) : null,
        },
      };
    });
    const t = await startTestApp({ ...PULL_ENV, PULL_MAX_PAGES: '3' });
    try {
      await createApiBank(t, 'long', `${bank.url}/v1`);
      const cursor = async () =>
        (
          await query<{ since: Date; resume_url: string | null; resume_started_at: Date | null }>(
            t.databaseUrl,
            `SELECT since, resume_url, resume_started_at FROM bank_pull_cursors
              WHERE bank_id = 'long'`,
          )
        )[0];
      const run = async () =>
        (await t.request('POST', '/reconcile/run', { headers: admin })).body.banks[0];

      const first = await run();
      expect(first).toMatchObject({ pulled_count: 3, error: expect.stringMatching(/next run/) });
      const afterFirst = await cursor();
      expect(afterFirst.resume_url).toMatch(/cursor=3/);
      const second = await run();
      expect(second).toMatchObject({ pulled_count: 3, error: expect.stringMatching(/next run/) });
      const afterSecond = await cursor();
      // The window stays where it was until the chain is finished.
      expect(afterSecond.since.getTime()).toBe(afterFirst.since.getTime());
      expect(afterSecond.resume_started_at?.getTime()).toBe(
        afterFirst.resume_started_at?.getTime(),
      );
      const third = await run();
      expect(third).toMatchObject({ pulled_count: 1, error: null });
      // Runs that left the chain unfinished were partial; the one that finished it succeeded.
      const statuses = await query<{ status: string }>(
        t.databaseUrl,
        `SELECT status FROM reconciliation_runs ORDER BY started_at`,
      );
      expect(statuses.map((r) => r.status)).toEqual(['partial', 'partial', 'succeeded']);
      const done = await cursor();
      expect(done.resume_url).toBeNull();
      // Moved to when the chain began (its first run), not to the last run's start.
      expect(done.since.getTime()).toBe(afterFirst.resume_started_at?.getTime());
      const stored = await query(
        t.databaseUrl,
        `SELECT 1 FROM transactions WHERE bank_id = 'long' AND source = 'pull'`,
      );
      expect(stored).toHaveLength(7);
      expect(bank.requests).toHaveLength(7); // no page asked for twice
    } finally {
      await t.close();
      await bank.close();
    }
  }, 30_000);
});

describe('scheduled fallback: a slow bank within its time budget', () => {
  it('stops a bank at PULL_BANK_BUDGET_MS without holding up the others; the next run goes on', async () => {
    const pages = (prefix: string, count: number, delayMs: number) =>
      startFakeBank((_req, url) => {
        if (url.pathname !== '/v1/transactions') return undefined;
        const n = Number(url.searchParams.get('cursor') ?? '0');
        return {
          delayMs,
          json: {
            data: [seedBody({ transaction_id: `${prefix}-${n}`, amount: '1.00', reference: 'x' })],
            next_cursor: n < count - 1 ? String(n + 1) : null,
          },
        };
      });
    const slow = await pages('slowpoke', 20, 150); // 3 s in all, under PULL_TIMEOUT_MS a page
    const quick = await pages('quick', 2, 0);
    // Pages well within their own timeout, the bank as a whole well past its budget.
    const t = await startTestApp({
      ...PULL_ENV,
      PULL_TIMEOUT_MS: '3000',
      PULL_BANK_BUDGET_MS: '1000',
    });
    try {
      await createApiBank(t, 'slowpoke', `${slow.url}/v1`);
      await createApiBank(t, 'quick', `${quick.url}/v1`);
      const run = await t.request('POST', '/reconcile/run', { headers: admin });
      expect(run.status).toBe(200);
      const byBank = Object.fromEntries(
        run.body.banks.map((b: { bank_id: string }) => [b.bank_id, b]),
      );
      expect(byBank.quick).toMatchObject({ pulled_count: 2, error: null });
      expect(byBank.slowpoke.error).toMatch(/PULL_BANK_BUDGET_MS.*next run continues/);
      const firstRun = byBank.slowpoke.pulled_count as number;
      expect(firstRun).toBeGreaterThan(0);
      expect(firstRun).toBeLessThan(20);
      // The next run goes on from the last committed page and stores more of the chain.
      const again = await t.request('POST', '/reconcile/run', { headers: admin });
      const next = again.body.banks.find((b: { bank_id: string }) => b.bank_id === 'slowpoke');
      expect(next.pulled_count).toBeGreaterThan(0);
      const stored = await query(
        t.databaseUrl,
        `SELECT 1 FROM transactions WHERE bank_id = 'slowpoke'`,
      );
      expect(stored).toHaveLength(firstRun + next.pulled_count);
    } finally {
      await t.close();
      await Promise.all([slow.close(), quick.close()]);
    }
  }, 30_000);
});
