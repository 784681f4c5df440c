import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from '../support/app';
import { query } from '../support/database';
import { upTransaction } from '../support/fake-bank';
import { seedBody } from '../support/webhooks';
import { BANKS_AT_ONCE } from '../../src/reconciliation/bank-pull.step';
import { recordFigures } from './support/figures';

const admin = bearer(ADMIN_KEY);
/**
 * The run's bound comes from its own budget, not from how fast this machine is today: every bank
 * is cut off at PULL_BANK_BUDGET_MS, BANKS_AT_ONCE at a time. Page limit and budget are set low
 * so the endless bank meets the page limit and the slow endless bank meets the budget.
 */
const BUDGET_MS = 4_000;
const MAX_PAGES = 100;
/** Bank lookups, cursor writes and the match step of a run this small, even on a loaded host. */
const RUN_OVERHEAD_MS = 15_000;

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** A loopback server with full control of the answer (slow, endless, not JSON...). */
async function rawServer(
  handler: Handler,
): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    hits.push(url.pathname + url.search);
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, body: unknown, status = 200): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('bank API faults during the fallback run', () => {
  let t: TestApp;
  const servers: Array<{ close(): Promise<void> }> = [];
  let evil: Awaited<ReturnType<typeof rawServer>>;
  let failing: Awaited<ReturnType<typeof rawServer>>;
  let endless: Awaited<ReturnType<typeof rawServer>>;
  let bankCount = 0;

  beforeAll(async () => {
    evil = await rawServer((_req, res) => json(res, { data: [], next_cursor: null }));
    const good = await rawServer((_req, res, url) =>
      url.pathname === '/v1/transactions'
        ? json(res, {
            data: [seedBody({ transaction_id: 'good-1', amount: '5.00' })],
            next_cursor: null,
          })
        : json(res, {}, 404),
    );
    const hanging = await rawServer(() => undefined); // never answers
    failing = await rawServer((_req, res) => json(res, { error: 'down' }, 500));
    const garbage = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>oops</html>');
    });
    const wrongShape = await rawServer((_req, res) => json(res, { data: 'nope', next_cursor: 7 }));
    // A body that never ends: a little JSON now and then, forever.
    const trickle = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":[');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    // Pages that never end: every page names a next one.
    endless = await rawServer((_req, res, url) => {
      const i = Number(url.searchParams.get('cursor') ?? '0');
      json(res, { data: [], next_cursor: String(i + 1) });
    });
    // Endless and slow: only the budget stops it.
    const slowEndless = await rawServer((_req, res, url) => {
      const i = Number(url.searchParams.get('cursor') ?? '0');
      setTimeout(() => json(res, { data: [], next_cursor: String(i + 1) }), 300);
    });
    const upOutside = await rawServer((_req, res, url) => {
      const data = [(upTransaction('up-out-1', { value: '3.00' }) as { data: unknown }).data];
      const next = url.searchParams.has('page[after]')
        ? null
        : `${evil.url}/api/v1/transactions?page[after]=p2`;
      json(res, { data, links: { prev: null, next } });
    });
    const upOtherPath = await rawServer((_req, res) => {
      const data = [(upTransaction('up-path-1', { value: '4.00' }) as { data: unknown }).data];
      json(res, { data, links: { prev: null, next: `/admin/transactions?page[after]=x` } });
    });
    const redirect = await rawServer((_req, res) => {
      res.writeHead(302, { location: `${evil.url}/v1/transactions` });
      res.end();
    });
    servers.push(evil, good, hanging, failing, garbage, wrongShape, trickle, endless, upOutside);
    servers.push(upOtherPath, redirect, slowEndless);

    t = await startTestApp({
      PULL_TIMEOUT_MS: '700',
      PULL_RETRIES: '1',
      PULL_MAX_PAGES: String(MAX_PAGES),
      PULL_BANK_BUDGET_MS: String(BUDGET_MS),
    });
    const banks: Array<[string, string, 'standard' | 'up']> = [
      ['a-good', `${good.url}/v1`, 'standard'],
      ['b-hanging', `${hanging.url}/v1`, 'standard'],
      ['c-failing', `${failing.url}/v1`, 'standard'],
      ['d-garbage', `${garbage.url}/v1`, 'standard'],
      ['e-wrong-shape', `${wrongShape.url}/v1`, 'standard'],
      ['f-trickle', `${trickle.url}/v1`, 'standard'],
      ['g-endless', `${endless.url}/v1`, 'standard'],
      ['h-up-outside', `${upOutside.url}/api/v1`, 'up'],
      ['i-up-other-path', `${upOtherPath.url}/api/v1`, 'up'],
      ['j-redirect', `${redirect.url}/v1`, 'standard'],
      ['k-slow-endless', `${slowEndless.url}/v1`, 'standard'],
    ];
    bankCount = banks.length;
    for (const [id, base, kind] of banks) {
      const res = await t.request('POST', '/banks', {
        headers: admin,
        json: {
          id,
          name: id,
          signature_scheme: kind === 'up' ? 'up' : 'hmac-sha256',
          secrets: [`${id}-secret-123`],
          api: { kind, base_url: base, token: `${id}-token` },
        },
      });
      expect(res.status).toBe(201);
    }
  }, 30_000);
  afterAll(async () => {
    await t.close();
    await Promise.all(servers.map((s) => s.close()));
  }, 30_000);

  it('records each failing bank on the run, finishes in bounded time, and pulls the good one', async () => {
    const bound = Math.ceil(bankCount / BANKS_AT_ONCE) * BUDGET_MS + RUN_OVERHEAD_MS;
    const started = Date.now();
    const res = await t.request('POST', '/reconcile/run', {
      headers: admin,
      signal: AbortSignal.timeout(bound + 10_000),
    });
    const seconds = (Date.now() - started) / 1000;
    expect(res.status).toBe(200);
    const byBank: Record<string, { pulled_count: number; error: string | null }> =
      Object.fromEntries(res.body.banks.map((b: { bank_id: string }) => [b.bank_id, b]));
    expect(byBank['a-good']).toMatchObject({ pulled_count: 1, error: null });
    expect(byBank['b-hanging'].error).toMatch(/timed out/);
    expect(byBank['c-failing'].error).toMatch(/500.*gave up after 2 attempts/);
    expect(failing.hits).toHaveLength(2); // PULL_RETRIES=1: one retry, then give up
    expect(byBank['d-garbage'].error).toMatch(/malformed|not JSON/i);
    expect(byBank['e-wrong-shape'].error).toMatch(/malformed|data/i);
    expect(byBank['f-trickle'].error).toMatch(/timed out/);
    expect(byBank['g-endless'].error).toMatch(new RegExp(`more than ${MAX_PAGES} pages`));
    expect(endless.hits).toHaveLength(MAX_PAGES);
    expect(byBank['k-slow-endless'].error).toMatch(
      new RegExp(`took longer than PULL_BANK_BUDGET_MS \\(${BUDGET_MS} ms\\)`),
    );
    expect(byBank['h-up-outside'].error).toMatch(/outside the bank's base_url/);
    expect(byBank['h-up-outside'].pulled_count).toBe(1); // the first page, inside, is kept
    expect(byBank['i-up-other-path'].error).toMatch(
      /outside the bank's base_url|not a URL|invalid/i,
    );
    expect(byBank['j-redirect'].error).toMatch(/redirect/);
    expect(evil.hits).toEqual([]); // nothing outside a base_url was ever requested
    expect(seconds * 1000).toBeLessThan(bound);

    const stored = await query<{ external_id: string }>(
      t.databaseUrl,
      `SELECT external_id FROM transactions ORDER BY external_id`,
    );
    // First pages (inside base_url) are kept; nothing else.
    expect(stored.map((r) => r.external_id)).toEqual(['good-1', 'up-out-1', 'up-path-1']);
    expect((await t.request('GET', '/health/ready')).status).toBe(200);
    recordFigures('bank-faults', {
      banks: Object.keys(byBank).length,
      run_seconds: seconds,
      bound_seconds: bound / 1000,
      errors: Object.fromEntries(
        Object.entries(byBank).map(([id, b]) => [id, b.error?.slice(0, 90) ?? null]),
      ),
    });
  }, 90_000);
});
