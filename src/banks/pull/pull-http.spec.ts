import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BankApiError } from '../up-client';
import {
  backoffDelay,
  getPageJson,
  MAX_PAGE_BYTES,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  type PageRequestOptions,
} from './pull-http';

/** A loopback server that writes raw answers (headers, non-JSON bodies), which fake-bank cannot. */
async function rawServer(
  answer: (res: ServerResponse, n: number) => void,
): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = createServer((_req, res) => answer(res, ++n));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, hits: () => n, close };
}

const servers: Array<{ close: () => Promise<void> }> = [];
async function server(answer: (res: ServerResponse, n: number) => void) {
  const s = await rawServer(answer);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

// Timeouts far above any loopback answer on a loaded machine: no test here is about them.
const opts: PageRequestOptions = { timeoutMs: 10_000, retries: 2, backoffMs: 5 };
const api = (baseUrl: string) => ({ baseUrl, token: 't' });

async function failure(promise: Promise<unknown>): Promise<BankApiError> {
  const err: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof BankApiError))
    throw new Error(`expected a BankApiError, got ${String(err)}`);
  return err;
}

describe('getPageJson', () => {
  it('fails a body that is not JSON at once, not retryable', async () => {
    const s = await server((res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>maintenance</html>');
    });
    const err = await failure(getPageJson(`${s.url}/transactions`, api(s.url), opts));
    expect([err.retryable, err.message]).toEqual([false, expect.stringMatching(/not JSON/)]);
    expect(s.hits()).toBe(1);
  });

  it('honours Retry-After seconds on a 429', async () => {
    const s = await server((res, n) => {
      if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const started = Date.now();
    await expect(getPageJson(`${s.url}/x`, api(s.url), opts)).resolves.toEqual({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.hits()).toBe(2);
  });

  it('refuses a redirect without following or retrying it', async () => {
    const target = await server((res) => res.writeHead(200).end('{}'));
    const s = await server((res) => res.writeHead(302, { location: `${target.url}/x` }).end());
    const err = await failure(getPageJson(`${s.url}/x`, api(s.url), opts));
    expect([err.retryable, err.message]).toEqual([false, expect.stringMatching(/redirect/)]);
    expect([s.hits(), target.hits()]).toEqual([1, 0]);
  });

  it('refuses a URL outside base_url without requesting it', async () => {
    const s = await server((res) => res.writeHead(200).end('{}'));
    const err = await failure(getPageJson(`${s.url}/other/x`, api(`${s.url}/api`), opts));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`${s.url}/other/x`);
    expect(s.hits()).toBe(0);
  });

  it('stops a page larger than MAX_PAGE_BYTES while reading it', async () => {
    const s = await server((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Chunked, so no content-length gives it away: the streaming bound must catch it.
      res.write(Buffer.alloc(MAX_PAGE_BYTES + 1, 0x20));
      res.end('{}');
    });
    const err = await failure(getPageJson(`${s.url}/x`, api(s.url), opts));
    expect([err.retryable, err.message]).toEqual([false, expect.stringMatching(/larger than/)]);
  });

  it('stops waiting when the caller aborts during a backoff', async () => {
    const controller = new AbortController();
    // Aborted once the first answer is out, so during the backoff whatever the machine's speed.
    const s = await server((res) => {
      res.writeHead(503).end();
      setTimeout(() => controller.abort(new Error('shutting down')), 50);
    });
    const started = Date.now();
    const err = await failure(
      getPageJson(`${s.url}/x`, api(s.url), {
        ...opts,
        backoffMs: 10_000,
        signal: controller.signal,
      }),
    );
    expect(err.message).toBe('pull aborted: shutting down');
    expect(Date.now() - started).toBeLessThan(4000); // the backoff alone would be 10 s
    expect(s.hits()).toBe(1);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-02-27T12:00:00Z');
  it.each<[string | null, number | null]>([
    [null, null],
    ['0', 0],
    ['5', 5000],
    ['3600', MAX_RETRY_AFTER_MS],
    ['Fri, 27 Feb 2026 12:00:10 GMT', 10_000],
    ['Fri, 27 Feb 2026 11:00:00 GMT', 0],
    ['soon', null],
    ['-3', null],
  ])('reads %p as %p ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt, with half of it random, and is capped', () => {
    expect([backoffDelay(0, 100, () => 0), backoffDelay(0, 100, () => 1)]).toEqual([50, 100]);
    expect([backoffDelay(3, 100, () => 0), backoffDelay(3, 100, () => 1)]).toEqual([400, 800]);
    expect(backoffDelay(30, 500, () => 1)).toBe(30_000);
  });
});
