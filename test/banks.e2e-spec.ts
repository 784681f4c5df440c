import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { hmacHex, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

describe('partner banks', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET });
  });
  afterAll(async () => {
    await t.close();
  });

  it('has the default bank from the start, its secret from WEBHOOK_SECRET, never shown', async () => {
    const res = await t.request('GET', '/banks/default', { headers: admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'default',
      signature_scheme: 'hmac-sha256',
      event_id_header: 'X-Event-Id',
      signature_header: 'X-Signature',
      secrets: { active_count: 1, added_at: [null] },
      api: null,
    });
    expect(res.text).not.toContain(WEBHOOK_SECRET);
  });

  it('creates a bank with custom headers; secrets and token are write-only', async () => {
    const created = await t.request('POST', '/banks', {
      headers: admin,
      json: {
        id: 'acme',
        name: 'Acme Bank',
        signature_scheme: 'hmac-sha256',
        secrets: ['acme-secret-1'],
        event_id_header: 'X-Acme-Event',
        signature_header: 'X-Webhook-Signature',
        api: { kind: 'standard', base_url: 'https://api.acme.example/', token: 'acme-token-xyz' },
      },
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('acme-secret-1');
    expect(created.text).not.toContain('acme-token-xyz');
    expect(created.body.api).toEqual({
      kind: 'standard',
      base_url: 'https://api.acme.example',
      has_token: true,
    });
    expect(created.body.secrets.active_count).toBe(1);

    const list = await t.request('GET', '/banks', { headers: admin });
    expect(list.body.data.map((b: { id: string }) => b.id)).toEqual(['default', 'acme']);
    expect(list.text).not.toContain('acme-secret-1');

    const raw = JSON.stringify(seedBody({ transaction_id: 'acme_1' }));
    const res = await sendSigned(t, raw, null, {
      secret: 'acme-secret-1',
      path: '/webhooks/acme/transactions',
      headers: { 'x-acme-event': 'acme-evt-1', 'x-webhook-signature': '' },
    });
    // the signature went into X-Signature, which Acme does not use
    expect(res.status).toBe(401);
  });

  it('verifies with the configured header names', async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'acme_2' }));
    const res = await t.request('POST', '/webhooks/acme/transactions', {
      headers: {
        'content-type': 'application/json',
        'X-Acme-Event': 'acme-evt-2',
        'X-Webhook-Signature': hmacHex('acme-secret-1', raw),
      },
      body: raw,
    });
    expect(res.status).toBe(202);
  });

  it('rotates secrets: during the overlap both verify, afterwards only the new one', async () => {
    const send = (secret: string, id: string) => {
      const raw = JSON.stringify(seedBody({ transaction_id: id }));
      return t.request('POST', '/webhooks/acme/transactions', {
        headers: {
          'content-type': 'application/json',
          'x-acme-event': id,
          'x-webhook-signature': hmacHex(secret, raw),
        },
        body: raw,
      });
    };
    const overlap = await t.request('PATCH', '/banks/acme', {
      headers: admin,
      json: { secrets: ['acme-secret-1', 'acme-secret-2'] },
    });
    expect(overlap.status).toBe(200);
    expect(overlap.body.secrets.active_count).toBe(2);
    expect((await send('acme-secret-1', 'rot-1')).status).toBe(202);
    expect((await send('acme-secret-2', 'rot-2')).status).toBe(202);

    const done = await t.request('PATCH', '/banks/acme', {
      headers: admin,
      json: { secrets: ['acme-secret-2'] },
    });
    expect(done.body.secrets.active_count).toBe(1);
    expect((await send('acme-secret-1', 'rot-3')).status).toBe(401);
    expect((await send('acme-secret-2', 'rot-4')).status).toBe(202);
    const revoked = await query(
      t.databaseUrl,
      `SELECT 1 FROM bank_secrets WHERE bank_id = 'acme' AND revoked_at IS NOT NULL`,
    );
    expect(revoked).toHaveLength(1);
  });

  it('rejects a bad bank: slug, scheme, standard-webhooks secret format, duplicate id', async () => {
    const bad = await t.request('POST', '/banks', {
      headers: admin,
      json: { id: 'Not A Slug', name: 'x', signature_scheme: 'rot13', secrets: [] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['id', 'signature_scheme', 'secrets']),
    );
    const badSecret = await t.request('POST', '/banks', {
      headers: admin,
      json: {
        id: 'std',
        name: 'Std',
        signature_scheme: 'standard-webhooks',
        secrets: ['plain-secret'],
      },
    });
    expect(badSecret.status).toBe(400);
    expect(badSecret.body.errors[0].field).toBe('secrets.0');
    const dup = await t.request('POST', '/banks', {
      headers: admin,
      json: { id: 'acme', name: 'Again', signature_scheme: 'up', secrets: ['another-secret'] },
    });
    expect(dup.status).toBe(409);
  });

  it('lets viewers read banks but only admins change them', async () => {
    const viewer = await t.request('POST', '/api-keys', {
      headers: admin,
      json: { name: 'v', role: 'viewer' },
    });
    const operator = await t.request('POST', '/api-keys', {
      headers: admin,
      json: { name: 'o', role: 'operator' },
    });
    expect((await t.request('GET', '/banks', { headers: bearer(viewer.body.key) })).status).toBe(
      200,
    );
    const patch = await t.request('PATCH', '/banks/acme', {
      headers: bearer(operator.body.key),
      json: { name: 'x' },
    });
    expect(patch.status).toBe(403);
    expect((await t.request('GET', '/banks/nope', { headers: admin })).status).toBe(404);
  });
});
