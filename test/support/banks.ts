import { ADMIN_KEY, bearer, type TestApp } from './app';

/**
 * Creates a partner bank with a pull API (as an admin) and checks the 201. `baseUrl` is the API
 * root the pull appends `/transactions` to; the bank's signing secret is `<id>-secret-123`.
 */
export async function createApiBank(
  t: TestApp,
  id: string,
  baseUrl: string,
  kind: 'standard' | 'up' = 'standard',
): Promise<void> {
  const res = await t.request('POST', '/banks', {
    headers: bearer(ADMIN_KEY),
    json: {
      id,
      name: id,
      signature_scheme: kind === 'up' ? 'up' : 'hmac-sha256',
      secrets: [`${id}-secret-123`],
      api: { kind, base_url: baseUrl, token: kind === 'up' ? `up:yeah:${id}` : `${id}-token` },
    },
  });
  expect([id, res.status]).toEqual([id, 201]);
}
