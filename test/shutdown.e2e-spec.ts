import { ReconcileCron } from '../src/reconciliation/reconcile.cron';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { createApiBank } from './support/banks';
import { query } from './support/database';
import { startFakeBank, type FakeBank } from './support/fake-bank';
import { eventually } from './support/webhooks';

const admin = bearer(ADMIN_KEY);

/** A bank whose API is slow enough that a run is still pulling when the shutdown begins. */
async function slowBank(t: TestApp): Promise<FakeBank> {
  const bank = await startFakeBank(() => ({ json: { data: [], next_cursor: null }, delayMs: 800 }));
  await createApiBank(t, 'slowbank', `${bank.url}/v1`);
  return bank;
}

const runStarted = (t: TestApp) =>
  eventually(async () =>
    (await query(t.databaseUrl, `SELECT 1 FROM reconciliation_runs WHERE status = 'running'`))
      .length > 0
      ? true
      : undefined,
  );

const recordedRuns = (t: TestApp) =>
  query<{ status: string; error: string; finished: boolean }>(
    t.databaseUrl,
    `SELECT status, error, finished_at IS NOT NULL AS finished FROM reconciliation_runs`,
  );

describe('orderly shutdown', () => {
  it('a scheduled run in progress is stopped after its step and recorded before the pool closes', async () => {
    const t = await startTestApp({ PULL_TIMEOUT_MS: '5000', RECONCILE_CRON: '0 0 1 1 *' });
    const bank = await slowBank(t);
    try {
      // A tick as its timer fires it: no HTTP request keeps the server (and so the pool) open.
      const tick = t.app.get(ReconcileCron).tick(new Date('2030-01-01T00:00:00.005Z'));
      await runStarted(t);
      await t.close();
      await tick;
      expect(await recordedRuns(t)).toEqual([
        { status: 'failed', error: expect.stringMatching(/shutting down/), finished: true },
      ]);
      const events = await query(
        t.databaseUrl,
        `SELECT 1 FROM outbox_events WHERE type = 'reconciliation.run_finished'`,
      );
      expect(events).toHaveLength(1);
    } finally {
      await bank.close();
    }
  }, 20_000);

  it('a manual run in progress is stopped, recorded and answered before the server closes', async () => {
    const t = await startTestApp({ PULL_TIMEOUT_MS: '5000' });
    const bank = await slowBank(t);
    try {
      const answer = t.request('POST', '/reconcile/run', { headers: admin });
      await runStarted(t);
      await t.close();
      const res = await answer;
      expect(res.status).toBe(503);
      expect(res.body.type).toBe('/problems/run-failed');
      expect(await recordedRuns(t)).toEqual([
        { status: 'failed', error: expect.stringMatching(/shutting down/), finished: true },
      ]);
    } finally {
      await bank.close();
    }
  }, 20_000);
});
