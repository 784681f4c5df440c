import { DataSource } from 'typeorm';
import { createApp, PendingMigrationsError } from '../src/app.factory';
import { loadConfig } from '../src/config/config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { createApiKey } from '../scripts/api-key';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { createEmptyDatabase, query } from './support/database';

describe('foundation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('health', () => {
    it('answers liveness without a key', async () => {
      const res = await t.request('GET', '/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
      expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('is ready when the database answers and no migration is pending', async () => {
      const res = await t.request('GET', '/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: true, database: 'up', pending_migrations: [] });
    });

    it('is not ready (503) when a migration is missing from the database', async () => {
      await query(t.databaseUrl, `DELETE FROM migrations`);
      try {
        const res = await t.request('GET', '/health/ready');
        expect(res.status).toBe(503);
        expect(res.body.ok).toBe(false);
        expect(res.body.pending_migrations.length).toBeGreaterThan(0);
      } finally {
        const ds = new DataSource(dataSourceOptions(t.databaseUrl, 1));
        await ds.initialize();
        for (const m of ds.migrations) {
          await ds.query('INSERT INTO migrations (timestamp, name) VALUES ($1, $2)', [
            Number(/(\d{13})$/.exec(m.name ?? '')?.[1] ?? 0),
            m.name,
          ]);
        }
        await ds.destroy();
      }
    });
  });

  describe('problem+json', () => {
    it('renders unknown routes as a 404 problem', async () => {
      const res = await t.request('GET', '/nope', { headers: bearer(ADMIN_KEY) });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
      expect(typeof res.body.type).toBe('string');
      expect(typeof res.body.detail).toBe('string');
    });

    it('lists each invalid field', async () => {
      const res = await t.request('POST', '/api-keys', {
        headers: bearer(ADMIN_KEY),
        json: { name: '', role: 'god', extra: 1 },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
      expect(fields).toEqual(expect.arrayContaining(['extra', 'name', 'role']));
    });

    it('answers malformed JSON with 400, not 500', async () => {
      const res = await t.request('POST', '/api-keys', {
        headers: { ...bearer(ADMIN_KEY), 'content-type': 'application/json' },
        body: '{"name":',
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('parses staff bodies with body-parser as before: JSON with a charset, and forms', async () => {
      const asJson = await t.request('POST', '/api-keys', {
        headers: { ...bearer(ADMIN_KEY), 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify({ name: 'json-charset', role: 'viewer' }),
      });
      expect(asJson.status).toBe(201);
      expect(asJson.body).toMatchObject({ name: 'json-charset', role: 'viewer' });
      const asForm = await t.request('POST', '/api-keys', {
        headers: { ...bearer(ADMIN_KEY), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=form-key&role=operator',
      });
      expect(asForm.status).toBe(201);
      expect(asForm.body).toMatchObject({ name: 'form-key', role: 'operator' });
    });

    it("quotes the request's own correlation id in problem answers, a new one per request", async () => {
      const ids = new Set<string>();
      for (const path of ['/api-keys', '/webhooks/bank/transactions']) {
        const res = await t.request('POST', path, {
          headers: { 'content-type': 'application/json' },
          body: '{"name":',
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        const header = res.headers.get('x-correlation-id') ?? '';
        expect(header).toMatch(/^[0-9a-f-]{36}$/);
        expect(res.body.correlation_id).toBe(header);
        ids.add(header);
      }
      expect(ids.size).toBe(2);
    });
  });

  describe('staff API keys and roles', () => {
    it('401 without a key and with an unknown key', async () => {
      expect((await t.request('GET', '/api-keys')).status).toBe(401);
      const res = await t.request('GET', '/api-keys', { headers: bearer('bks_not-a-key') });
      expect(res.status).toBe(401);
      expect(res.body.type).toBe('/problems/unauthenticated');
    });

    it('creates keys shown once, lists them without secrets, enforces roles, revokes', async () => {
      const created = await t.request('POST', '/api-keys', {
        headers: bearer(ADMIN_KEY),
        json: { name: 'viewer-bot', role: 'viewer' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'viewer-bot', role: 'viewer' });
      const viewerKey: string = created.body.key;
      expect(viewerKey).toMatch(/^bks_/);

      const stored = await query<{ key_hash: Buffer }>(
        t.databaseUrl,
        'SELECT key_hash FROM api_keys WHERE id = $1',
        [created.body.id],
      );
      expect(stored[0].key_hash.toString('utf8')).not.toContain(viewerKey);

      const forbidden = await t.request('POST', '/api-keys', {
        headers: bearer(viewerKey),
        json: { name: 'x', role: 'admin' },
      });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.type).toBe('/problems/forbidden');

      const metrics = await t.request('GET', '/metrics', { headers: bearer(viewerKey) });
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('bank_sync_process_cpu_seconds_total');

      const list = await t.request('GET', '/api-keys', { headers: bearer(ADMIN_KEY) });
      expect(list.status).toBe(200);
      expect(list.text).not.toContain(viewerKey);
      expect(list.text).not.toContain('hash');
      const listed = list.body.data.find((k: { id: string }) => k.id === created.body.id);
      expect(listed).toMatchObject({ name: 'viewer-bot', role: 'viewer' });
      expect(listed.last_used_at).not.toBeNull();
      expect(listed.key).toBeUndefined();

      const revoked = await t.request('DELETE', `/api-keys/${created.body.id}`, {
        headers: bearer(ADMIN_KEY),
      });
      expect(revoked.status).toBe(204);
      expect((await t.request('GET', '/metrics', { headers: bearer(viewerKey) })).status).toBe(401);
    });

    it('pages the key list with an opaque cursor', async () => {
      for (const name of ['p1', 'p2', 'p3']) {
        await t.request('POST', '/api-keys', {
          headers: bearer(ADMIN_KEY),
          json: { name, role: 'viewer' },
        });
      }
      const first = await t.request('GET', '/api-keys?limit=2', { headers: bearer(ADMIN_KEY) });
      expect(first.body.data).toHaveLength(2);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await t.request('GET', `/api-keys?limit=2&cursor=${first.body.next_cursor}`, {
        headers: bearer(ADMIN_KEY),
      });
      const ids = [...first.body.data, ...second.body.data].map((k: { id: string }) => k.id);
      expect(new Set(ids).size).toBe(ids.length);
      const bad = await t.request('GET', '/api-keys?cursor=garbage', {
        headers: bearer(ADMIN_KEY),
      });
      expect(bad.status).toBe(400);
    });

    it('accepts keys made by the api-key script', async () => {
      const ds = new DataSource(dataSourceOptions(t.databaseUrl, 1));
      await ds.initialize();
      const { key } = await createApiKey(ds, 'operator', 'cli');
      await ds.destroy();
      const res = await t.request('GET', '/api-keys', { headers: bearer(key) });
      expect(res.status).toBe(403);
      expect((await t.request('GET', '/metrics', { headers: bearer(key) })).status).toBe(200);
    });
  });

  describe('OpenAPI', () => {
    it('documents every error as problem+json, and 401, 403 and the least role on staff routes', async () => {
      const doc = (await t.request('GET', '/docs-json')).body;
      type Op = {
        security?: unknown[];
        parameters?: Array<{ in: string; name: string; schema: Record<string, unknown> }>;
        responses: Record<string, { content?: Record<string, unknown> }>;
        description?: string;
        'x-min-role'?: string;
      };
      const ops: Array<[string, Op]> = Object.entries(
        doc.paths as Record<string, Record<string, Op>>,
      ).flatMap(([path, item]) =>
        Object.entries(item).map(([method, op]): [string, Op] => [`${method} ${path}`, op]),
      );
      const wrong: string[] = [];
      for (const [route, op] of ops) {
        for (const [status, res] of Object.entries(op.responses)) {
          // Readiness answers its 503 in the shape of its 200, saying what is wrong.
          const readiness = route === 'get /health/ready' && status === '503';
          if (Number(status) >= 400 && !readiness && !res.content?.['application/problem+json']) {
            wrong.push(`${route} ${status}: not problem+json`);
          }
        }
        if (op.security?.length) {
          if (!op.responses['401'] || !op.responses['403']) wrong.push(`${route}: no 401/403`);
          if (!['viewer', 'operator', 'admin'].includes(op['x-min-role'] ?? '')) {
            wrong.push(`${route}: no x-min-role`);
          }
          if (!op.description?.startsWith(`Role: \`${op['x-min-role']}\``)) {
            wrong.push(`${route}: role not in the description`);
          }
        }
        for (const p of op.parameters ?? []) {
          if (p.name === 'limit' && p.schema.type !== 'integer') wrong.push(`${route}: limit type`);
          if (p.in === 'path' && !p.schema.format && !p.schema.pattern) {
            wrong.push(`${route}: path ${p.name} untyped`);
          }
        }
      }
      expect(wrong).toEqual([]);
      expect(doc.components.schemas.Problem.required).toEqual([
        'type',
        'title',
        'status',
        'detail',
      ]);
      const webhookBody =
        doc.paths['/webhooks/{bankId}/transactions'].post.requestBody.content['application/json'];
      expect(webhookBody.schema.oneOf).toHaveLength(2);
      expect(doc.paths['/invoices/{id}'].get['x-min-role']).toBe('viewer');
      expect(doc.paths['/banks'].post['x-min-role']).toBe('admin');
    });

    it('serves Swagger UI and a document declaring bearer auth', async () => {
      const ui = await t.request('GET', '/docs');
      expect(ui.status).toBe(200);
      expect(ui.text).toContain('swagger-ui');
      const doc = await t.request('GET', '/docs-json');
      expect(doc.status).toBe(200);
      expect(doc.body.components.securitySchemes.bearer).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/health', '/api-keys']));
      expect(doc.body.components.securitySchemes.bearer.bearerFormat).toBe('API key');
      // The UI's script and static assets are served too (its routes live in a router of their
      // own, see common/swagger.ts), and the prefix check lets the API's routes through.
      expect((await t.request('GET', '/docs/swagger-ui-init.js')).status).toBe(200);
      expect((await t.request('GET', '/docs/swagger-ui-bundle.js')).status).toBe(200);
      expect((await t.request('GET', '/docs-yaml')).status).toBe(200);
      expect((await t.request('GET', '/health')).status).toBe(200);
    });
  });
});

describe('start-up against an external database', () => {
  it('refuses to start while migrations are pending and says what to run', async () => {
    const url = await createEmptyDatabase();
    const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' });
    await expect(createApp({ config, databaseUrl: url, migrate: false })).rejects.toThrow(
      PendingMigrationsError,
    );
    await expect(createApp({ config, databaseUrl: url, migrate: false })).rejects.toThrow(
      /run: npm run migration:run/,
    );
  });
});
