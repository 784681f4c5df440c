import { request } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { seedBody } from './support/webhooks';

/**
 * Issue 18, signatures: what a sender using the `svix` package (or a proxy) does that the
 * standardwebhooks spec alone does not. The `svix` package is not installed; its `Webhook`
 * signs exactly as `standardwebhooks` does (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`,
 * the secret's `whsec_` optional) and sends the values as `svix-id`, `svix-timestamp` and
 * `svix-signature`.
 */
describe('standard-webhooks interop (svix headers, plain secrets, multi-line signatures)', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);
  const key = Buffer.from('interop-key-of-thirty-two-bytes!').toString('base64');
  const secret = `whsec_${key}`;
  const signer = new Webhook(secret);

  beforeAll(async () => {
    t = await startTestApp();
    const created = await t.request('POST', '/banks', {
      headers: admin,
      json: { id: 'swbank', name: 'SW', signature_scheme: 'standard-webhooks', secrets: [secret] },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  const stored = async (eventId: string): Promise<number> =>
    Number(
      (
        await query<{ n: string }>(
          t.databaseUrl,
          `SELECT count(*) AS n FROM webhook_events WHERE event_id = $1`,
          [eventId],
        )
      )[0].n,
    );

  /** node:http sends an array value as one header line per element (fetch would join them). */
  const sendLines = (
    path: string,
    raw: string,
    headers: Record<string, string | string[]>,
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${t.url}${path}`,
        { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(raw);
    });

  it("accepts Svix's branded headers svix-id / svix-timestamp / svix-signature", async () => {
    const raw = JSON.stringify(seedBody({ transaction_id: 'svix_1' }));
    const now = new Date();
    const res = await t.request('POST', '/webhooks/swbank/transactions', {
      headers: {
        'content-type': 'application/json',
        'svix-id': 'msg_svix_1',
        'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
        'svix-signature': signer.sign('msg_svix_1', now, raw),
      },
      body: raw,
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ event_id: 'msg_svix_1', deduped: false });
    const [event] = await query<{ headers: Record<string, string> }>(
      t.databaseUrl,
      `SELECT headers FROM webhook_events WHERE event_id = 'msg_svix_1'`,
    );
    expect(Object.keys(event.headers)).toEqual(
      expect.arrayContaining(['svix-id', 'svix-timestamp']),
    );

    // Same meaning as webhook-*: a stale svix-timestamp is a replay, a wrong signature a 401.
    const old = new Date(Date.now() - 301_000);
    const stale = await t.request('POST', '/webhooks/swbank/transactions', {
      headers: {
        'content-type': 'application/json',
        'svix-id': 'msg_svix_old',
        'svix-timestamp': String(Math.floor(old.getTime() / 1000)),
        'svix-signature': signer.sign('msg_svix_old', old, raw),
      },
      body: raw,
    });
    expect([stale.status, stale.body.detail]).toEqual([401, expect.stringMatching(/stale/)]);
    expect(await stored('msg_svix_old')).toBe(0);
  });

  it('accepts a secret without whsec_ as plain base64, at creation and rotation', async () => {
    const plain = Buffer.from('plain-base64-key-of-32-bytes!!!!').toString('base64');
    const created = await t.request('POST', '/banks', {
      headers: admin,
      json: { id: 'plainbank', name: 'P', signature_scheme: 'standard-webhooks', secrets: [plain] },
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain(plain);
    const send = (s: string, id: string, raw: string) => {
      const now = new Date();
      return t.request('POST', '/webhooks/plainbank/transactions', {
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': new Webhook(s).sign(id, now, raw),
        },
        body: raw,
      });
    };
    const raw = JSON.stringify(seedBody({ transaction_id: 'plain_1' }));
    // The svix package reads the same key with or without the prefix: so must we.
    expect((await send(plain, 'msg_plain_1', raw)).status).toBe(202);
    expect((await send(`whsec_${plain}`, 'msg_plain_2', raw)).status).toBe(202);

    const rotated = Buffer.from('rotated-base64-key-of-32-bytes!!').toString('base64');
    const patch = await t.request('PATCH', '/banks/plainbank', {
      headers: admin,
      json: { secrets: [rotated] },
    });
    expect(patch.status).toBe(200);
    expect(patch.text).not.toContain(rotated);
    const raw2 = JSON.stringify(seedBody({ transaction_id: 'plain_2' }));
    expect((await send(rotated, 'msg_plain_3', raw2)).status).toBe(202);
    expect((await send(plain, 'msg_plain_4', raw2)).status).toBe(401);

    // Still refused: what is not base64 (a typo would silently become another key).
    const bad = await t.request('PATCH', '/banks/plainbank', {
      headers: admin,
      json: { secrets: ['not base64!'] },
    });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'secrets.0']);
  });

  it('takes a webhook-signature sent on two lines as two signatures, the valid one on either', async () => {
    const other = new Webhook(
      `whsec_${Buffer.from('some-other-key-of-32-bytes-long!').toString('base64')}`,
    );
    for (const [n, order] of [
      [1, 'valid first'],
      [2, 'valid second'],
    ] as const) {
      const id = `msg_lines_${n}`;
      const raw = JSON.stringify(seedBody({ transaction_id: `lines_${n}` }));
      const now = new Date();
      const valid = signer.sign(id, now, raw);
      const wrong = other.sign(id, now, raw);
      const res = await sendLines('/webhooks/swbank/transactions', raw, {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': order === 'valid first' ? [valid, wrong] : [wrong, valid],
      });
      expect([order, res.status]).toEqual([order, 202]);
    }
    // Neither line valid: still 401, nothing stored.
    const raw = JSON.stringify(seedBody({ transaction_id: 'lines_none' }));
    const now = new Date();
    const none = await sendLines('/webhooks/swbank/transactions', raw, {
      'webhook-id': 'msg_lines_none',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': [other.sign('msg_lines_none', now, raw), 'v1,' + 'A'.repeat(43) + '='],
    });
    expect(none.status).toBe(401);
    expect(await stored('msg_lines_none')).toBe(0);
  });

  it('shows no event_id_header / signature_header for banks whose headers are fixed', async () => {
    const one = await t.request('GET', '/banks/swbank', { headers: admin });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ event_id_header: null, signature_header: null });
    const list = await t.request('GET', '/banks', { headers: admin });
    const byId = new Map<string, { event_id_header: unknown; signature_header: unknown }>(
      list.body.data.map((b: { id: string }) => [b.id, b]),
    );
    expect(byId.get('swbank')).toMatchObject({ event_id_header: null, signature_header: null });
    // hmac-sha256 banks, which do read them, still show them.
    expect(byId.get('default')).toMatchObject({
      event_id_header: 'X-Event-Id',
      signature_header: 'X-Signature',
    });

    const up = await t.request('POST', '/banks', {
      headers: admin,
      json: { id: 'upbank', name: 'Up', signature_scheme: 'up', secrets: ['up-secret-123'] },
    });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ event_id_header: null, signature_header: null });

    // Setting one would be stored and shown while nothing reads it: refused, nothing stored.
    const withHeader = await t.request('POST', '/banks', {
      headers: admin,
      json: {
        id: 'swheaders',
        name: 'SW',
        signature_scheme: 'standard-webhooks',
        secrets: [secret],
        event_id_header: 'X-Event-Id',
      },
    });
    expect(withHeader.status).toBe(400);
    expect(withHeader.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(withHeader.body.errors[0].field).toBe('event_id_header');
    expect((await t.request('GET', '/banks/swheaders', { headers: admin })).status).toBe(404);
    const patch = await t.request('PATCH', '/banks/swbank', {
      headers: admin,
      json: { signature_header: 'X-Signature' },
    });
    expect([patch.status, patch.body.errors?.[0]?.field]).toEqual([400, 'signature_header']);
  });
});
