import { upTransaction } from '../../../test/support/fake-bank';
import { BankApiError } from '../up-client';
import { parseStandardPage, parseUpPage } from './pull-parsers';

const url = 'https://api.up.com.au/api/v1/transactions?page%5Bsize%5D=100';
const resource = (upTransaction('u1') as { data: unknown }).data;

function thrown(fn: () => unknown): BankApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BankApiError) return err;
    throw err;
  }
  throw new Error('expected a BankApiError');
}

describe('parseUpPage', () => {
  it('resolves a relative links.next against the page URL', () => {
    const page = parseUpPage(
      { data: [], links: { prev: null, next: '/api/v1/transactions?p=2' } },
      url,
    );
    expect(page.next).toBe('https://api.up.com.au/api/v1/transactions?p=2');
  });

  it.each<[string, unknown]>([
    ['not an object', 'hello'],
    ['no data array', { data: {}, links: { prev: null, next: null } }],
    ['no links', { data: [resource] }],
    ['a links.next that is not a string', { data: [], links: { prev: null, next: 3 } }],
    ['an empty links.next', { data: [], links: { prev: null, next: '' } }],
  ])('refuses a page with %s, not retryable', (_name, doc) => {
    const err = thrown(() => parseUpPage(doc, url));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`malformed page from ${url}`);
  });

  it('refuses an unknown status and a zero amount, item by item', () => {
    const odd = upTransaction('u2', { status: 'PENDING' as 'HELD' }) as { data: unknown };
    const zero = upTransaction('u3', { value: '0.00' }) as { data: unknown };
    const page = parseUpPage({ data: [odd.data, zero.data], links: { next: null } }, url);
    expect(page.items).toEqual([]);
    expect(page.invalid).toEqual([
      { externalId: 'u2', reason: 'attributes.status must be "HELD" or "SETTLED"' },
      { externalId: 'u3', reason: expect.stringMatching(/amount/) },
    ]);
  });

  it('refuses an id PostgreSQL cannot store and makes free text storable', () => {
    const badId = upTransaction('u\ud800') as { data: unknown };
    const odd = upTransaction('u4', { rawText: 'a\u0000b\ud800', message: 'INV\udc00-1' }) as {
      data: unknown;
    };
    const page = parseUpPage({ data: [badId.data, odd.data], links: { next: null } }, url);
    expect(page.invalid).toEqual([{ externalId: 'u\ud800', reason: expect.stringMatching(/id/) }]);
    expect(page.items.map((i) => [i.rawText, i.tx.reference])).toEqual([
      ['ab\ufffd', 'INV\ufffd-1'],
    ]);
  });
});

describe('parseStandardPage', () => {
  it('refuses an empty next_cursor, which would restart the chain', () => {
    const err = thrown(() => parseStandardPage({ data: [], next_cursor: '' }, url));
    expect(err.message).toMatch(/next_cursor/);
  });

  it('reports every field error of an invalid item', () => {
    const page = parseStandardPage(
      { data: [{ transaction_id: 'x', amount: 'abc', currency: 'ZZZ' }], next_cursor: null },
      url,
    );
    expect(page.invalid).toHaveLength(1);
    expect(page.invalid[0].externalId).toBe('x');
    expect(page.invalid[0].reason).toMatch(/currency: .*; .*occurred_at: /);
  });
});
