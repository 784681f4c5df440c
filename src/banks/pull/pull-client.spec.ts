import { startFakeBank, upTransaction, type FakeBank } from '../../../test/support/fake-bank';
import { BankApiError } from '../up-client';
import { pullTransactions, type PullOptions, type YieldedPage } from './pull-client';

async function collect(
  gen: AsyncGenerator<YieldedPage>,
): Promise<{ pages: YieldedPage[]; error: BankApiError | null }> {
  const pages: YieldedPage[] = [];
  try {
    for await (const page of gen) pages.push(page);
  } catch (err) {
    if (err instanceof BankApiError) return { pages, error: err };
    throw err;
  }
  return { pages, error: null };
}

function seed(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    transaction_id: id,
    amount: '5000.00',
    currency: 'NGN',
    occurred_at: '2026-02-27T12:00:00Z',
    reference: `INV-${id}`,
    ...overrides,
  };
}

/** Up's list item: the resource inside upTransaction()'s `{ data }` document. */
function upResource(id: string, opts: Parameters<typeof upTransaction>[1] = {}): unknown {
  return (upTransaction(id, opts) as { data: unknown }).data;
}

const since = new Date('2026-02-01T00:00:00Z');
const fast: PullOptions = { since, timeoutMs: 1000, retries: 2, backoffMs: 5 };
const token = 'tok-secret';
type Answer = { status?: number; json?: unknown; delayMs?: number };
const banks: FakeBank[] = [];

/** A fake bank whose handler also gets the 1-based number of the request. */
async function bank(handler: (url: URL, n: number) => Answer): Promise<FakeBank> {
  let n = 0;
  const b = await startFakeBank((_req, url) => handler(url, ++n));
  banks.push(b);
  return b;
}

/** The recorded requests as URLs, to read their query parameters. */
function urls(b: FakeBank): URL[] {
  return b.requests.map((r) => new URL(r.path, 'http://bank'));
}
afterEach(async () => {
  await Promise.all(banks.splice(0).map((b) => b.close()));
});

describe('pullTransactions: standard', () => {
  it('follows next_cursor over three pages, sending since, the cursor and the bearer token', async () => {
    const pages: Record<string, Answer> = {
      '': { json: { data: [seed('t1'), seed('t2')], next_cursor: 'c/2 &x' } },
      'c/2 &x': { json: { data: [seed('t3')], next_cursor: 'c3' } },
      c3: { json: { data: [seed('t4', { direction: 'debit' })], next_cursor: null } },
    };
    const b = await bank((url) => pages[url.searchParams.get('cursor') ?? ''] ?? { status: 404 });
    const api = { kind: 'standard' as const, baseUrl: `${b.url}/`, token };
    const { pages: got, error } = await collect(pullTransactions(api, fast));

    expect(error).toBeNull();
    expect(got.map((p) => p.items.map((i) => i.externalId))).toEqual([
      ['t1', 't2'],
      ['t3'],
      ['t4'],
    ]);
    const asked = urls(b).map((u) => [
      u.pathname,
      u.searchParams.get('since'),
      u.searchParams.get('cursor'),
    ]);
    expect(asked).toEqual([
      ['/transactions', '2026-02-01T00:00:00.000Z', null],
      ['/transactions', '2026-02-01T00:00:00.000Z', 'c/2 &x'],
      ['/transactions', '2026-02-01T00:00:00.000Z', 'c3'],
    ]);
    expect(b.requests.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);
    const first = got[0].items[0];
    expect(first.raw).toEqual(seed('t1'));
    expect(first.tx).toMatchObject({ amount: '5000.00', currency: 'NGN', reference: 'INV-t1' });
    expect(first.bankStatus).toBeNull();
    expect(got[2].items[0].tx.direction).toBe('debit');
  });

  it('reports invalid items next to the valid ones instead of failing the page', async () => {
    const data = [seed('ok'), seed('bad', { amount: -1 }), { amount: 5 }, 'not an object'];
    const b = await bank(() => ({ json: { data, next_cursor: null } }));
    const api = { kind: 'standard' as const, baseUrl: b.url, token };
    const { pages, error } = await collect(pullTransactions(api, fast));

    expect(error).toBeNull();
    expect(pages[0].items.map((i) => i.externalId)).toEqual(['ok']);
    expect(pages[0].invalid.map((i) => i.externalId)).toEqual(['bad', null, null]);
    expect(pages[0].invalid[0].reason).toMatch(/^amount: /);
    expect(pages[0].invalid[1].reason).toMatch(/transaction_id/);
  });

  it('yields each page before requesting the next', async () => {
    const b = await bank((url) => ({
      json: { data: [seed(`t${url.searchParams.get('cursor') ?? 0}`)], next_cursor: 'more' },
    }));
    const gen = pullTransactions({ kind: 'standard', baseUrl: b.url, token }, fast);
    await gen.next();
    expect(b.requests).toHaveLength(1);
    await gen.return(undefined);
    expect(b.requests).toHaveLength(1);
  });
});

describe('pullTransactions: up', () => {
  it('follows absolute links.next over three pages and maps resources', async () => {
    let base = '';
    const b = await bank((url) => {
      const after = url.searchParams.get('page[after]');
      const next = (cursor: string): string =>
        `${base}/api/v1/transactions?page%5Bafter%5D=${cursor}&page%5Bsize%5D=100`;
      if (after === null)
        return { json: { data: [upResource('u1')], links: { prev: null, next: next('p2') } } };
      if (after === 'p2') {
        const held = upResource('u2', { status: 'HELD', value: '-12.50', rawText: 'RAW 1' });
        return { json: { data: [held], links: { prev: null, next: next('p3') } } };
      }
      return {
        json: { data: [upResource('u3', { message: null })], links: { prev: null, next: null } },
      };
    });
    base = b.url;
    const api = { kind: 'up' as const, baseUrl: `${b.url}/api/v1`, token };
    const { pages, error } = await collect(pullTransactions(api, fast));

    expect(error).toBeNull();
    expect(pages.map((p) => p.items.map((i) => i.externalId))).toEqual([['u1'], ['u2'], ['u3']]);
    const [first] = urls(b);
    expect(first.pathname).toBe('/api/v1/transactions');
    expect(first.searchParams.get('filter[since]')).toBe('2026-02-01T00:00:00.000Z');
    expect(first.searchParams.get('page[size]')).toBe('100');
    expect(urls(b).map((u) => u.searchParams.get('page[after]'))).toEqual([null, 'p2', 'p3']);
    expect(b.requests.every((r) => r.authorization === `Bearer ${token}`)).toBe(true);

    expect(pages[0].items[0].tx).toEqual({
      externalId: 'u1',
      amount: '50.00',
      currency: 'AUD',
      direction: 'credit',
      occurredAt: new Date('2026-02-27T01:00:00Z'),
      reference: 'INV-001',
      description: 'Acme Pty Ltd',
      counterparty: null,
      counterpartyAccount: null,
      foreignAmount: null,
      foreignCurrency: null,
      holdAmount: null,
      holdCurrency: null,
      settledAt: new Date('2026-02-27T01:00:00Z'),
    });
    expect(pages[0].items[0].bankStatus).toBe('SETTLED');
    expect(pages[0].items[0].raw).toEqual(upResource('u1'));
    const held = pages[1].items[0];
    expect([held.bankStatus, held.rawText, held.tx.direction, held.tx.amount]).toEqual([
      'HELD',
      'RAW 1',
      'debit',
      '12.50',
    ]);
    expect(pages[2].items[0].tx.reference).toBeNull();
  });

  it('reports invalid resources without failing the page', async () => {
    const noStatus = upResource('u2') as { attributes: Record<string, unknown> };
    delete noStatus.attributes.status;
    const data = [upResource('u1'), noStatus, upResource('u3', { value: '0.001' }), { id: 7 }];
    const b = await bank(() => ({ json: { data, links: { prev: null, next: null } } }));
    const { pages, error } = await collect(
      pullTransactions({ kind: 'up', baseUrl: b.url, token }, fast),
    );

    expect(error).toBeNull();
    expect(pages[0].items.map((i) => i.externalId)).toEqual(['u1']);
    expect(pages[0].invalid.map((i) => i.externalId)).toEqual(['u2', 'u3', null]);
    expect(pages[0].invalid[0].reason).toMatch(/status/);
    expect(pages[0].invalid[1].reason).toMatch(/amount/);
  });

  it('refuses a links.next outside base_url and never requests it', async () => {
    const elsewhere = await bank(() => ({ json: { data: [], links: { prev: null, next: null } } }));
    const evil = `${elsewhere.url}/api/v1/transactions?page%5Bafter%5D=x`;
    const b = await bank(() => ({
      json: { data: [upResource('u1')], links: { prev: null, next: evil } },
    }));
    const { pages, error } = await collect(
      pullTransactions({ kind: 'up', baseUrl: `${b.url}/api/v1`, token }, fast),
    );

    expect(pages.map((p) => p.items.length)).toEqual([1]);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain(evil);
    expect(elsewhere.requests).toHaveLength(0);
    expect(b.requests).toHaveLength(1);
  });

  it('refuses a links.next on the same host but above the base path', async () => {
    const b = await bank((url) =>
      url.pathname.startsWith('/api/v1')
        ? { json: { data: [], links: { prev: null, next: '/admin/transactions' } } }
        : { status: 500 },
    );
    const { error } = await collect(
      pullTransactions({ kind: 'up', baseUrl: `${b.url}/api/v1`, token }, fast),
    );
    expect(error?.message).toContain(`${b.url}/admin/transactions`);
    expect(urls(b).map((u) => u.pathname)).toEqual(['/api/v1/transactions']);
  });
});

describe('pullTransactions: failures', () => {
  const standard = (b: FakeBank) => ({ kind: 'standard' as const, baseUrl: b.url, token });
  const lastPage: Answer = { json: { data: [seed('t1')], next_cursor: null } };

  it('retries a 500 and succeeds when the bank recovers', async () => {
    const b = await bank((_url, n) => (n <= 2 ? { status: 500 } : lastPage));
    const { pages, error } = await collect(pullTransactions(standard(b), fast));
    expect(error).toBeNull();
    expect(pages[0].items).toHaveLength(1);
    expect(b.requests).toHaveLength(3);
  });

  it('gives up with a retryable error after `retries` retries of a 500', async () => {
    const b = await bank(() => ({ status: 500 }));
    const { pages, error } = await collect(pullTransactions(standard(b), { ...fast, retries: 3 }));
    expect(pages).toHaveLength(0);
    expect(error?.retryable).toBe(true);
    expect(error?.message).toMatch(/500.*gave up after 4 attempts/);
    expect(b.requests).toHaveLength(4);
  });

  it('times out a slow bank and retries it', async () => {
    const b = await bank(() => ({ ...lastPage, delayMs: 500 }));
    const started = Date.now();
    const { error } = await collect(
      pullTransactions(standard(b), { ...fast, timeoutMs: 50, retries: 1 }),
    );
    expect(error?.retryable).toBe(true);
    expect(error?.message).toMatch(/timed out after 50 ms/);
    expect(b.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(450);
  });

  it.each<[string, Answer]>([
    ['a JSON body that is not an object', { json: [] }],
    ['no data array', { json: { items: [], next_cursor: null } }],
    ['a bad next_cursor type', { json: { data: [], next_cursor: 42 } }],
    ['a missing next_cursor', { json: { data: [] } }],
  ])('fails a malformed page (%s) at once, not retryable', async (_name, answer) => {
    const b = await bank(() => answer);
    const { pages, error } = await collect(pullTransactions(standard(b), fast));
    expect(pages).toHaveLength(0);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toMatch(/malformed page/);
    expect(b.requests).toHaveLength(1);
  });

  it('fails a 4xx other than 429 at once', async () => {
    const b = await bank(() => ({ status: 401 }));
    const { error } = await collect(pullTransactions(standard(b), fast));
    expect(error?.retryable).toBe(false);
    expect(error?.message).toMatch(/401/);
    expect(b.requests).toHaveLength(1);
  });

  it('stops after maxPages, saying where the chain goes on, and resumes from there', async () => {
    const b = await bank((url) => {
      const n = Number(url.searchParams.get('cursor') ?? '0');
      return { json: { data: [seed(`t${n}`)], next_cursor: n < 7 ? String(n + 1) : null } };
    });
    const first = await collect(pullTransactions(standard(b), { ...fast, maxPages: 5 }));
    expect(first.error).toBeNull();
    expect(first.pages).toHaveLength(5);
    const resumeFrom = first.pages[4].nextUrl;
    expect(new URL(resumeFrom ?? '').searchParams.get('cursor')).toBe('5');
    const rest = await collect(
      pullTransactions(standard(b), { ...fast, maxPages: 5, resumeFrom: resumeFrom ?? '' }),
    );
    expect(rest.pages.map((p) => p.items[0].externalId)).toEqual(['t5', 't6', 't7']);
    expect(rest.pages[2].nextUrl).toBeNull();
    // The resumed pages keep the chain's own since.
    expect(urls(b).every((u) => u.searchParams.get('since') === since.toISOString())).toBe(true);
  });

  it('stops when the bank repeats a page link', async () => {
    const b = await bank(() => ({ json: { data: [], next_cursor: 'same' } }));
    const { pages, error } = await collect(pullTransactions(standard(b), fast));
    expect(pages).toHaveLength(2);
    expect(error?.message).toMatch(/same page link twice/);
    expect(b.requests).toHaveLength(2);
  });

  it('refuses an unknown kind and an invalid since', async () => {
    const api = { kind: 'ftp' as 'up', baseUrl: 'http://127.0.0.1:9', token };
    await expect(collect(pullTransactions(api, fast))).resolves.toMatchObject({
      error: { retryable: false, message: expect.stringMatching(/unknown bank API kind/) },
    });
    const bad = { ...fast, since: new Date('nope') };
    await expect(collect(pullTransactions({ ...api, kind: 'up' }, bad))).resolves.toMatchObject({
      error: { message: expect.stringMatching(/valid `since`/) },
    });
  });
});
