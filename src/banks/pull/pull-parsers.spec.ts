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

  it('refuses an unknown status item by item; takes a zero amount (Up books 0.00)', () => {
    const odd = upTransaction('u2', { status: 'PENDING' as 'HELD' }) as { data: unknown };
    const zero = upTransaction('u3', { value: '0.00' }) as { data: unknown };
    const page = parseUpPage({ data: [odd.data, zero.data], links: { next: null } }, url);
    expect(page.items.map((i) => [i.externalId, i.tx.amount])).toEqual([['u3', '0.00']]);
    expect(page.invalid).toEqual([
      { externalId: 'u2', reason: 'attributes.status must be "HELD" or "SETTLED"' },
    ]);
  });

  it('keeps foreignAmount, holdInfo.amount and settledAt as magnitudes and a date', () => {
    const abroad = upTransaction('u5', {
      value: '-15.32',
      attributes: {
        foreignAmount: { currencyCode: 'JPY', value: '-1500', valueInBaseUnits: -1500 },
        holdInfo: { amount: { currencyCode: 'AUD', value: '-15.20' }, foreignAmount: null },
        settledAt: '2026-02-28T09:30:00+11:00',
      },
    }) as { data: unknown };
    const held = upTransaction('u6', {
      status: 'HELD',
      attributes: { settledAt: null, holdInfo: null, foreignAmount: null },
    }) as { data: unknown };
    const page = parseUpPage({ data: [abroad.data, held.data], links: { next: null } }, url);
    expect(page.invalid).toEqual([]);
    const [a, h] = page.items.map((i) => i.tx);
    expect(a).toMatchObject({
      foreignAmount: '1500',
      foreignCurrency: 'JPY',
      holdAmount: '15.20',
      holdCurrency: 'AUD',
      settledAt: new Date('2026-02-27T22:30:00Z'),
    });
    expect(h).toMatchObject({
      foreignAmount: null,
      foreignCurrency: null,
      holdAmount: null,
      holdCurrency: null,
      settledAt: null,
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a foreignAmount without value', { foreignAmount: { currencyCode: 'USD' } }, /foreignAmount/],
    [
      'a foreignAmount with too many decimals',
      { foreignAmount: { currencyCode: 'JPY', value: '1.5' } },
      /foreignAmount: JPY allows no decimal places/,
    ],
    [
      'a holdInfo amount in an unknown currency',
      { holdInfo: { amount: { currencyCode: 'XXQ', value: '1.00' } } },
      /holdInfo.amount/,
    ],
    ['a settledAt that is no date', { settledAt: 'yesterday' }, /settledAt/],
  ])('refuses an item with %s', (_name, attributes, reason) => {
    const bad = upTransaction('u7', { attributes }) as { data: unknown };
    const page = parseUpPage({ data: [bad.data], links: { next: null } }, url);
    expect(page.invalid).toEqual([{ externalId: 'u7', reason: expect.stringMatching(reason) }]);
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
