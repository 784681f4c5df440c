import { request as httpRequest } from 'node:http';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from '../support/app';
import { query } from '../support/database';
import { hmacHex, seedBody, WEBHOOK_SECRET } from '../support/webhooks';
import { recordFigures } from './support/figures';

const admin = bearer(ADMIN_KEY);
const ACME_SECRET = 'acme-secret-123';

/** A signed delivery over node:http, so the client's loopback source address can be chosen. */
function deliver(
  t: TestApp,
  bank: string,
  eventId: string,
  opts: { secret?: string; from?: string } = {},
): Promise<{ status: number; retryAfter?: string; type?: string; body: string }> {
  const raw = JSON.stringify(seedBody({ transaction_id: eventId }));
  const secret = opts.secret ?? (bank === 'acme' ? ACME_SECRET : WEBHOOK_SECRET);
  const path =
    bank === 'default' ? '/webhooks/bank/transactions' : `/webhooks/${bank}/transactions`;
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        localAddress: opts.from ?? '127.0.0.1',
        headers: {
          'content-type': 'application/json',
          'x-event-id': eventId,
          'x-signature': hmacHex(secret, raw),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            type: res.headers['content-type'],
            body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(raw);
  });
}

async function addAcme(t: TestApp): Promise<void> {
  const res = await t.request('POST', '/banks', {
    headers: admin,
    json: { id: 'acme', name: 'Acme', signature_scheme: 'hmac-sha256', secrets: [ACME_SECRET] },
  });
  expect(res.status).toBe(201);
}

describe('webhook rate limits, per bank and per client', () => {
  it('throttles one bank with 429 + Retry-After without touching another bank', async () => {
    const t = await startTestApp({
      WEBHOOK_SECRET,
      WEBHOOK_RATE_LIMIT_PER_BANK: '5',
      WEBHOOK_RATE_LIMIT_PER_CLIENT: '1000',
      WEBHOOK_RATE_LIMIT_WINDOW_MS: '60000',
    });
    try {
      await addAcme(t);
      // Forged deliveries in acme's name do not use up acme's budget (counted after the check).
      for (let i = 0; i < 10; i++) {
        expect((await deliver(t, 'acme', `forged-${i}`, { secret: 'wrong-secret-1' })).status).toBe(
          401,
        );
      }
      for (let i = 0; i < 5; i++) expect((await deliver(t, 'acme', `acme-${i}`)).status).toBe(202);
      const limited = await deliver(t, 'acme', 'acme-over');
      expect(limited.status).toBe(429);
      expect(limited.type).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(limited.body)).toMatchObject({
        status: 429,
        type: '/problems/rate-limited',
      });
      const retryAfter = Number(limited.retryAfter);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      // The other bank is unaffected.
      for (let i = 0; i < 5; i++)
        expect((await deliver(t, 'default', `def-${i}`)).status).toBe(202);
      expect((await deliver(t, 'default', 'def-over')).status).toBe(429);
      // Nothing was stored for a throttled delivery.
      const stored = await query(
        t.databaseUrl,
        `SELECT event_id FROM webhook_events WHERE event_id IN ('acme-over', 'def-over')`,
      );
      expect(stored).toEqual([]);
      recordFigures('rate-limit-bank', { limit: 5, window_ms: 60_000, retry_after_s: retryAfter });
    } finally {
      await t.close();
    }
  });

  it('throttles one client address across banks, and not another client', async () => {
    const t = await startTestApp({
      WEBHOOK_SECRET,
      WEBHOOK_RATE_LIMIT_PER_BANK: '1000',
      WEBHOOK_RATE_LIMIT_PER_CLIENT: '6',
      WEBHOOK_RATE_LIMIT_WINDOW_MS: '60000',
    });
    try {
      await addAcme(t);
      for (let i = 0; i < 3; i++) expect((await deliver(t, 'acme', `c1-a-${i}`)).status).toBe(202);
      for (let i = 0; i < 3; i++)
        expect((await deliver(t, 'default', `c1-d-${i}`)).status).toBe(202);
      const limited = await deliver(t, 'default', 'c1-over');
      expect(limited.status).toBe(429);
      expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(1);
      // Unsigned junk from the throttled client is refused before any signature work.
      expect((await deliver(t, 'acme', 'c1-junk', { secret: 'wrong-secret-1' })).status).toBe(429);
      // Another loopback address is another client.
      const other = await deliver(t, 'default', 'c2-0', { from: '127.0.0.2' });
      expect(other.status).toBe(202);
      // Staff routes are not throttled.
      expect((await t.request('GET', '/health/ready')).status).toBe(200);
      expect((await t.request('GET', '/banks', { headers: admin })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
