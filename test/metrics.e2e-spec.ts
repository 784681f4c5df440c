import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { createApiBank } from './support/banks';
import { query } from './support/database';
import { freePort } from './support/net';
import { seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const ALERTS = join(__dirname, '..', 'docs', 'prometheus', 'alerts.yml');
const BANK_LIMIT = 12;

/** Every sample of a scrape, by its series (`name{labels}`), and the families it declares. */
interface Scrape {
  text: string;
  samples: Map<string, number>;
  families: Set<string>;
}

async function scrape(t: TestApp): Promise<Scrape> {
  const res = await t.request('GET', '/metrics', { headers: bearer(ADMIN_KEY) });
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  const families = new Set<string>();
  for (const line of res.text.split('\n')) {
    if (line.startsWith('# TYPE ')) families.add(line.split(' ')[2]);
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return { text: res.text, samples, families };
}

const value = (s: Scrape, series: string): number => s.samples.get(series) ?? 0;

/** promtool from Debian's `prometheus` package; CI installs it (.ci/run). */
function promtool(args: string[], input?: string): { status: number; out: string } {
  const run = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (run.error) {
    throw new Error(
      'promtool not found: install it (Debian: apt-get install --no-install-recommends ' +
        'prometheus; .ci/run does this) to check the metrics and the alert rules',
    );
  }
  return { status: run.status ?? -1, out: `${run.stdout}${run.stderr}`.trim() };
}

describe('metrics', () => {
  let t: TestApp;
  let deadBankPort: number;

  beforeAll(async () => {
    deadBankPort = await freePort(); // nothing listens there: every pull of it fails
    t = await startTestApp({
      WEBHOOK_SECRET,
      // No background loops: what the intake stores stays in the queues the gauges count.
      WORKER_ENABLED: 'false',
      MAX_BODY_BYTES: '2048',
      WEBHOOK_RATE_LIMIT_PER_BANK: String(BANK_LIMIT),
      WEBHOOK_RATE_LIMIT_WINDOW_MS: '600000',
      PULL_RETRIES: '0',
      PULL_TIMEOUT_MS: '2000',
      ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  // First, before any scrape: the queue figures are cached for 5 s between scrapes.
  it('queue gauges reflect the rows in the queues, oldest age included', async () => {
    for (const n of [1, 2, 3]) {
      const raw = JSON.stringify(seedBody({ transaction_id: `txn_q${n}` }));
      expect((await sendSigned(t, raw, `evt_q${n}`)).status).toBe(202);
    }
    await query(
      t.databaseUrl,
      `UPDATE transactions SET status = 'FAILED', last_error = 'seeded' WHERE external_id = 'txn_q3'`,
    );
    await query(
      t.databaseUrl,
      `UPDATE transactions SET created_at = now() - interval '2 hours' WHERE external_id = 'txn_q1'`,
    );
    const sub = await t.request('POST', '/subscriptions', {
      headers: bearer(ADMIN_KEY),
      json: { url: 'http://127.0.0.1:9/hook', events: ['transaction.received'] },
    });
    expect(sub.status).toBe(201);
    await query(
      t.databaseUrl,
      `INSERT INTO webhook_deliveries (subscription_id, event_id, status, expires_at, created_at)
       SELECT $1, id, CASE WHEN n = 1 THEN 'dead' ELSE 'pending' END, now() + interval '1 day',
              now() - n * interval '10 minutes'
         FROM (SELECT id, row_number() OVER (ORDER BY created_at) AS n FROM outbox_events) e`,
      [sub.body.id],
    );
    const [db] = await query<Record<string, string>>(
      t.databaseUrl,
      `SELECT (SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL) AS outbox,
              (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS pending`,
    );
    expect(Number(db.outbox)).toBeGreaterThanOrEqual(3);
    expect(Number(db.pending)).toBeGreaterThanOrEqual(2);

    const s = await scrape(t);
    const depth = (queue: string): number => value(s, `bank_sync_queue_depth{queue="${queue}"}`);
    const age = (queue: string): number =>
      value(s, `bank_sync_queue_oldest_age_seconds{queue="${queue}"}`);
    expect(value(s, 'bank_sync_queue_metrics_up')).toBe(1);
    expect({
      transactions_pending: depth('transactions_pending'),
      transactions_failed: depth('transactions_failed'),
      outbox_undispatched: depth('outbox_undispatched'),
      deliveries_pending: depth('deliveries_pending'),
      deliveries_dead: depth('deliveries_dead'),
    }).toEqual({
      transactions_pending: 2,
      transactions_failed: 1,
      outbox_undispatched: Number(db.outbox),
      deliveries_pending: Number(db.pending),
      deliveries_dead: 1,
    });
    expect(age('transactions_pending')).toBeGreaterThanOrEqual(7200);
    expect(age('transactions_pending')).toBeLessThan(7300);
    expect(age('deliveries_pending')).toBeGreaterThanOrEqual(1200); // the third of them
    expect(age('outbox_undispatched')).toBeGreaterThanOrEqual(0);
    // The pool of this instance (20 connections), read without a query.
    expect(value(s, 'bank_sync_db_pool_max_connections')).toBe(20);
    expect(
      value(s, 'bank_sync_db_pool_connections{state="in_use"}') +
        value(s, 'bank_sync_db_pool_connections{state="idle"}'),
    ).toBeGreaterThan(0);
    expect(s.samples.has('bank_sync_db_pool_waiting_requests')).toBe(true);
  });

  it('counts every webhook answer by status class, the body reader, guards and limits too', async () => {
    const before = await scrape(t);
    const ok = JSON.stringify(seedBody({ transaction_id: 'txn_m1' }));
    const answers: number[] = [];
    answers.push((await sendSigned(t, ok, 'evt_m1')).status); // 202
    answers.push((await sendSigned(t, ok, 'evt_m1')).status); // 200 replay
    const other = JSON.stringify(seedBody({ transaction_id: 'txn_m1', amount: 1 }));
    answers.push((await sendSigned(t, other, 'evt_m1')).status); // 409
    answers.push((await sendSigned(t, '{"transaction_id":', 'evt_m2')).status); // 400, JSON
    const big = JSON.stringify(
      seedBody({ transaction_id: 'txn_big', description: 'x'.repeat(4000) }),
    );
    answers.push((await sendSigned(t, big, 'evt_m3')).status); // 413, the intake's reader
    answers.push(
      (
        await sendSigned(t, big, 'evt_m4', {
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
      ).status,
    ); // 413, body-parser
    answers.push(
      (await sendSigned(t, ok, 'evt_m5', { headers: { 'content-type': 'text/plain' } })).status,
    ); // 415
    answers.push((await sendSigned(t, ok, 'evt_m6', { secret: 'wrong-secret-123' })).status); // 401
    answers.push(
      (await sendSigned(t, ok, 'evt_m7', { path: '/webhooks/nosuchbank/transactions' })).status,
    ); // 404
    expect(answers).toEqual([202, 200, 409, 400, 413, 413, 415, 401, 404]);
    // The bank's budget (BANK_LIMIT per window) runs out: 429 from the rate-limit guard.
    let limited = 0;
    for (let n = 0; n < BANK_LIMIT + 2 && limited === 0; n++) {
      const raw = JSON.stringify(seedBody({ transaction_id: `txn_rl${n}` }));
      const res = await sendSigned(t, raw, `evt_rl${n}`);
      if (res.status === 429) limited++;
    }
    expect(limited).toBe(1);

    const after = await scrape(t);
    const moved = (series: string): number => value(after, series) - value(before, series);
    const answered = (bank: string, code: number): number =>
      moved(
        `bank_sync_webhook_responses_total{bank="${bank}",code="${code}",status_class="${Math.floor(code / 100)}xx"}`,
      );
    expect({
      202: answered('default', 202) >= 1,
      200: answered('default', 200),
      409: answered('default', 409),
      400: answered('default', 400),
      413: answered('default', 413),
      415: answered('default', 415),
      401: answered('default', 401),
      429: answered('default', 429),
      404: answered('(unknown)', 404),
    }).toEqual({ 202: true, 200: 1, 409: 1, 400: 1, 413: 2, 415: 1, 401: 1, 429: 1, 404: 1 });
    const timed = (bank: string, outcome: string): number =>
      moved(`bank_sync_webhook_duration_seconds_count{bank="${bank}",outcome="${outcome}"}`);
    expect(timed('default', 'deduped')).toBe(1);
    expect(timed('default', 'conflict')).toBe(1);
    expect(timed('default', 'rejected')).toBe(6); // 400, 2 × 413, 415, 401, 429
    expect(timed('default', 'accepted')).toBeGreaterThanOrEqual(2);
    expect(timed('(unknown)', 'rejected')).toBe(1);
  });

  it('counts runs by status and their duration, the last success, and pull errors per bank', async () => {
    const first = await t.request('POST', '/reconcile/run', { headers: bearer(ADMIN_KEY) });
    expect([first.status, first.body.status]).toEqual([200, 'succeeded']);
    await new Promise((r) => setTimeout(r, 5_100)); // past the queue figures' 5 s cache
    const before = await scrape(t);
    expect(value(before, 'bank_sync_reconcile_last_success_timestamp_seconds')).toBeCloseTo(
      Date.parse(first.body.finished_at) / 1000,
      2,
    );
    expect(
      value(before, 'bank_sync_reconcile_runs_total{trigger="manual",status="succeeded"}'),
    ).toBe(1);

    await createApiBank(t, 'deadbank', `http://127.0.0.1:${deadBankPort}/api`);
    const second = await t.request('POST', '/reconcile/run', { headers: bearer(ADMIN_KEY) });
    expect(second.status).toBe(200);
    const status = second.body.status as string;
    expect(second.body.banks).toEqual([
      expect.objectContaining({ bank_id: 'deadbank', error: expect.any(String) }),
    ]);
    const after = await scrape(t);
    const moved = (series: string): number => value(after, series) - value(before, series);
    expect(moved('bank_sync_bank_pull_errors_total{bank="deadbank"}')).toBe(1);
    expect(moved(`bank_sync_reconcile_runs_total{trigger="manual",status="${status}"}`)).toBe(1);
    expect(moved(`bank_sync_reconcile_run_duration_seconds_count{status="${status}"}`)).toBe(1);
  }, 30_000);

  it('passes `promtool check metrics`, has a sample in every family, and the alert rules check', async () => {
    const s = await scrape(t);
    const check = promtool(['check', 'metrics'], s.text);
    expect(check).toEqual({ status: 0, out: '' });

    // libuv requests (fs, dns) exist only while one is in flight: nothing to force a sample.
    const idle = new Set(['bank_sync_nodejs_active_requests']);
    const empty = [...s.families].filter(
      (family) =>
        !idle.has(family) &&
        ![...s.samples.keys()].some((series) =>
          new RegExp(`^${family}(_bucket|_sum|_count)?(\\{|$)`).test(series),
        ),
    );
    expect(empty).toEqual([]);
    for (const family of [
      'bank_sync_webhook_responses_total',
      'bank_sync_webhook_duration_seconds',
      'bank_sync_queue_depth',
      'bank_sync_queue_oldest_age_seconds',
      'bank_sync_reconcile_runs_total',
      'bank_sync_reconcile_run_duration_seconds',
      'bank_sync_reconcile_last_success_timestamp_seconds',
      'bank_sync_bank_pull_errors_total',
      'bank_sync_db_pool_connections',
      'bank_sync_db_pool_waiting_requests',
    ]) {
      expect([family, s.families.has(family)]).toEqual([family, true]);
    }
    // No secret of the deployment in the exposition.
    for (const secret of [WEBHOOK_SECRET, ADMIN_KEY, 'deadbank-secret-123', 'deadbank-token']) {
      expect(s.text).not.toContain(secret);
    }

    const rules = promtool(['check', 'rules', ALERTS]);
    expect(rules.status).toBe(0);
    expect(rules.out).toContain('SUCCESS');
    // Every metric the rules name is one this service exports.
    const named = new Set(readFileSync(ALERTS, 'utf8').match(/bank_sync_\w+/g) ?? []);
    const unknown = [...named].filter(
      (name) => !s.families.has(name.replace(/_(bucket|sum|count)$/, '')),
    );
    expect(unknown).toEqual([]);
  });
});
