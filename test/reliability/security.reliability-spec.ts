import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY } from '../support/app';
import { createTestDatabase, query } from '../support/database';
import { hmacHex, seedBody, WEBHOOK_SECRET } from '../support/webhooks';
import { recordFigures } from './support/figures';
import { spawnService, type ServiceProcess } from './support/service';

type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** The contract's staff access, route by route ("public": no key needed). */
const MIN_ROLE: Record<string, Role | 'public'> = {
  'GET /health': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'viewer',
  'GET /stats': 'viewer',
  'POST /api-keys': 'admin',
  'GET /api-keys': 'admin',
  'DELETE /api-keys/{id}': 'admin',
  'POST /banks': 'admin',
  'GET /banks': 'viewer',
  'GET /banks/{id}': 'viewer',
  'PATCH /banks/{id}': 'admin',
  'GET /transactions': 'viewer',
  'GET /transactions/{id}': 'viewer',
  'POST /transactions/{id}/retry': 'operator',
  'POST /transactions/retry': 'operator',
  'GET /webhook-events': 'viewer',
  'GET /webhook-events/{id}': 'viewer',
  'POST /webhook-events/{id}/replay': 'operator',
  'POST /invoices': 'operator',
  'GET /invoices': 'viewer',
  'GET /invoices/{id}': 'viewer',
  'POST /invoices/{id}/cancel': 'operator',
  'POST /reconcile/run': 'operator',
  'GET /reconcile/runs': 'viewer',
  'GET /reconcile/runs/{id}': 'viewer',
  'GET /reconcile/runs/{id}/matches': 'viewer',
  'GET /reconcile/exceptions': 'viewer',
  'POST /reconcile/matches': 'operator',
  'DELETE /reconcile/matches/{id}': 'operator',
  'POST /subscriptions': 'admin',
  'GET /subscriptions': 'admin',
  'GET /subscriptions/{id}': 'admin',
  'PATCH /subscriptions/{id}': 'admin',
  'DELETE /subscriptions/{id}': 'admin',
  'POST /subscriptions/{id}/rotate-secret': 'admin',
  'GET /subscriptions/{id}/deliveries': 'admin',
  'POST /subscriptions/{id}/deliveries/{deliveryId}/retry': 'admin',
};

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('security: roles on every route, secrets in no response and no log line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bank-sync-security-'));
  const logFile = join(dir, 'service.log');
  let service: ServiceProcess;
  const keys: Record<Role, string> = { viewer: '', operator: '', admin: ADMIN_KEY };
  const bankSecret = `acme-secret-${randomUUID()}`;
  /** A secret whose write fails in PostgreSQL: the failed query's parameters hold it. */
  const refusedSecret = `refused-secret-${randomUUID()}`;
  let databaseUrl = '';
  const bankToken = `acme-token-${randomUUID()}`;
  /** Every secret the service was given or made, and the staff keys' stored hashes. */
  const knownSecrets = (): string[] => [
    WEBHOOK_SECRET,
    ADMIN_KEY,
    bankSecret,
    refusedSecret,
    bankToken,
    keys.viewer,
    keys.operator,
    sha256Hex(keys.viewer),
    sha256Hex(keys.operator),
  ];
  const responses: Array<{ what: string; text: string }> = [];
  const signatures: string[] = [];

  const call = async (method: string, path: string, key?: string, body?: unknown) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    const res = await fetch(service.url + path, {
      method,
      headers,
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, text };
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    service = await spawnService({ databaseUrl, logFile, env: { LOG_LEVEL: 'debug' } });
    for (const role of ['viewer', 'operator'] as const) {
      const res = await call('POST', '/api-keys', ADMIN_KEY, { name: `sec-${role}`, role });
      expect(res.status).toBe(201);
      keys[role] = (JSON.parse(res.text) as { key: string }).key;
    }
    const bank = await call('POST', '/banks', ADMIN_KEY, {
      id: 'acme',
      name: 'Acme',
      signature_scheme: 'hmac-sha256',
      secrets: [bankSecret],
      api: { kind: 'standard', base_url: 'http://127.0.0.1:9/v1', token: bankToken },
    });
    expect(bank.status).toBe(201);
    responses.push({ what: 'POST /banks', text: bank.text });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without a valid key, 403 below the route role, neither at or above it', async () => {
    const doc = await call('GET', '/docs-json');
    expect(doc.status).toBe(200);
    const paths = (JSON.parse(doc.text) as { paths: Record<string, Record<string, unknown>> })
      .paths;
    const routes = Object.entries(paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const staffRoutes = routes.filter((r) => !r.includes(' /webhooks/'));
    const unknown = staffRoutes.filter((r) => !(r in MIN_ROLE));
    const missing = Object.keys(MIN_ROLE).filter((r) => !routes.includes(r));
    expect(missing).toEqual([]); // every route the contract names is documented
    // The role the document states (`x-min-role`, from @MinRole) is the contract's.
    const documentedRole = (route: string): string => {
      const [method, template] = route.split(' ');
      const op = paths[template]?.[method.toLowerCase()] as { 'x-min-role'?: string } | undefined;
      return op?.['x-min-role'] ?? 'public';
    };
    expect(
      Object.entries(MIN_ROLE)
        .filter(([route, role]) => documentedRole(route) !== role)
        .map(([route, role]) => `${route}: documented ${documentedRole(route)}, contract ${role}`),
    ).toEqual([]);
    let calls = 0;
    const wrong: string[] = [];
    for (const route of staffRoutes) {
      const [method, template] = route.split(' ');
      const path = template.replace(/\{[^}]+\}/g, randomUUID());
      const min = MIN_ROLE[route];
      const attempts: Array<[string, string | undefined]> = [
        ['no key', undefined],
        ['unknown key', `bks_${'0'.repeat(43)}`],
        ['viewer', keys.viewer],
        ['operator', keys.operator],
        ['admin', keys.admin],
      ];
      for (const [who, key] of attempts) {
        const res = await call(method, path, key);
        calls++;
        responses.push({ what: `${who} ${route}`, text: res.text });
        if (res.status >= 500) wrong.push(`${who} ${route}: ${res.status}`);
        const got = res.status === 401 ? '401' : res.status === 403 ? '403' : 'allowed';
        let expected: string[];
        if (min === 'public') expected = ['allowed'];
        else if (who === 'no key' || who === 'unknown key') expected = ['401'];
        else if (min === undefined) {
          // A route this table does not know yet (newer than the contract): admin passes, and
          // a valid key is never answered 401. Add such a route to MIN_ROLE.
          expected = who === 'admin' ? ['allowed'] : ['allowed', '403'];
        } else expected = [RANK[who as Role] >= RANK[min] ? 'allowed' : '403'];
        if (!expected.includes(got)) {
          wrong.push(`${who} ${route}: ${res.status}, expected ${expected.join(' or ')}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    recordFigures('security-matrix', {
      routes: staffRoutes.length,
      calls,
      routes_not_in_contract_table: unknown,
    });
  }, 120_000);

  it('never shows a secret, a key or a key hash in a response', async () => {
    for (const path of [
      '/banks',
      '/banks/acme',
      '/banks/default',
      '/api-keys',
      '/metrics',
      '/stats',
    ]) {
      const res = await call('GET', path, ADMIN_KEY);
      expect([path, res.status]).toEqual([path, 200]);
      responses.push({ what: `GET ${path}`, text: res.text });
    }
    const secrets = knownSecrets();
    const leaks = responses.flatMap(({ what, text }) =>
      secrets.filter((s) => text.includes(s)).map((s) => `${what} shows ${s.slice(0, 6)}…`),
    );
    expect(leaks).toEqual([]);
  });

  it('never writes a secret, a key, a key hash or a signature to the log', async () => {
    // A write that PostgreSQL refuses (a constraint added here for the test): TypeORM's own
    // loggers print a failed query with its parameters, and the error object carries them.
    await query(
      databaseUrl,
      `ALTER TABLE bank_secrets ADD CONSTRAINT test_refused CHECK (secret <> '${refusedSecret}')`,
    );
    const refused = await call('PATCH', '/banks/acme', ADMIN_KEY, {
      secrets: [bankSecret, refusedSecret],
    });
    expect(refused.status).toBe(500);
    expect(refused.text).not.toContain(refusedSecret);
    for (const [eventId, secret] of [
      ['sec-evt-1', bankSecret],
      ['sec-evt-2', 'not-the-secret-123'],
    ] as const) {
      const raw = JSON.stringify(seedBody({ transaction_id: eventId }));
      const signature = hmacHex(secret, raw);
      signatures.push(signature);
      const res = await fetch(`${service.url}/webhooks/acme/transactions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-event-id': eventId,
          'x-signature': signature,
        },
        body: raw,
      });
      expect([202, 401]).toContain(res.status);
    }
    // The stored delivery as staff see it, and its replay: no signature in any answer (the
    // intake keeps it with the event), nor in the log lines these requests write.
    const list = await call('GET', '/webhook-events?bank=acme', keys.viewer);
    expect(list.status).toBe(200);
    const stored = (JSON.parse(list.text) as { data: Array<{ id: string }> }).data;
    expect(stored).toHaveLength(1);
    const detail = await call('GET', `/webhook-events/${stored[0].id}`, keys.viewer);
    const replayed = await call('POST', `/webhook-events/${stored[0].id}/replay`, keys.operator);
    expect([detail.status, replayed.status]).toEqual([200, 200]);
    const shown = [...knownSecrets(), ...signatures];
    for (const text of [list.text, detail.text, replayed.text]) {
      expect(shown.filter((s) => text.includes(s)).map((s) => `${s.slice(0, 6)}…`)).toEqual([]);
    }
    await service.stop();
    const log = readFileSync(logFile, 'utf8');
    expect(log.split('\n').length).toBeGreaterThan(100); // the requests above were logged
    expect(log).toContain('/webhooks/acme/transactions');
    // One line per request, with the status it was answered with (202 at debug, 401 at info).
    const lines = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { req?: { url?: string }; statusCode?: number });
    const answered = lines
      .filter((l) => l.req?.url === '/webhooks/acme/transactions')
      .map((l) => l.statusCode);
    expect(answered).toEqual(expect.arrayContaining([202, 401]));
    const secrets = [...knownSecrets(), ...signatures];
    const leaks = secrets.filter((s) => log.includes(s)).map((s) => `${s.slice(0, 6)}…`);
    expect(leaks).toEqual([]);
    // The refused write was logged (through pino), without its parameters.
    expect(log).toMatch(
      /query failed: new row for relation .{1,2}bank_secrets.{1,2} violates check/,
    );
    recordFigures('security-logs', {
      log_lines: log.split('\n').length,
      secrets_checked: secrets.length,
    });
  });
});
