import { createHmac } from 'node:crypto';
import type { TestApp, TestResponse } from './app';

export const WEBHOOK_SECRET = 'seed-secret-0123456789';

export function seedBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transaction_id: 'txn_001',
    amount: 5000,
    currency: 'NGN',
    occurred_at: '2026-02-27T12:00:00Z',
    reference: 'INV-001',
    description: 'Transfer',
    direction: 'credit',
    counterparty: 'Acme Ltd',
    ...overrides,
  };
}

/** Hex HMAC-SHA256, as `printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret"` prints it. */
export function hmacHex(secret: string, raw: string | Buffer): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

/**
 * A signature's bytes with the last one changed, in the same encoding: right at the start and
 * wrong at the end, so a check that compares only a prefix of the digest accepts it.
 */
export function lastByteFlipped(signature: string, encoding: 'hex' | 'base64' = 'hex'): string {
  const bytes = Buffer.from(signature, encoding);
  bytes[bytes.length - 1] ^= 0x01;
  return bytes.toString(encoding);
}

/** Sends raw bytes signed with the seed scheme to the default bank (or `path`). */
export function sendSigned(
  t: TestApp,
  raw: string | Buffer,
  eventId: string | null,
  opts: { secret?: string; path?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-signature': hmacHex(opts.secret ?? WEBHOOK_SECRET, raw),
    ...(eventId === null ? {} : { 'x-event-id': eventId }),
    ...opts.headers,
  };
  return t.request('POST', opts.path ?? '/webhooks/bank/transactions', {
    headers,
    body: typeof raw === 'string' ? raw : new Uint8Array(raw),
  });
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
