import { toMinor } from '../common/money';
import {
  candidateKeys,
  decide,
  EXCEPTION_REASONS,
  Decision,
  MATCH_RULES,
  MatchInvoice,
  MatchTransaction,
  MAX_TEXT_CHARS,
  normalizeInvoiceNumber,
} from './matcher';

function invoice(number: string, overrides: Partial<MatchInvoice> = {}): MatchInvoice {
  return {
    id: `id-${number}`,
    number,
    normalized: normalizeInvoiceNumber(number),
    currency: 'NGN',
    outstanding: '5000.00',
    status: 'pending',
    ...overrides,
  };
}

function transaction(overrides: Partial<MatchTransaction> = {}): MatchTransaction {
  return {
    id: 'tx-1',
    currency: 'NGN',
    amount: '5000.00',
    unallocated: '5000.00',
    direction: 'credit',
    texts: ['INV-001', 'Transfer'],
    ...overrides,
  };
}

function byKey(invoices: readonly MatchInvoice[]): ReadonlyMap<string, MatchInvoice> {
  return new Map(invoices.map((inv) => [inv.normalized, inv]));
}

const { ignoredDebit, nothingUnallocated, noInvoiceNamed, single, multi } = MATCH_RULES;

describe('normalizeInvoiceNumber', () => {
  it.each([
    ['INV-001', 'inv001'],
    ['inv 001', 'inv001'],
    ['INV_001', 'inv001'],
    ['inv001', 'inv001'],
    ['INV.001', 'inv001'],
    ['INV/2026/001', 'inv2026001'],
    ['Inv - 001', 'inv001'],
    ['INV-0011', 'inv0011'],
    ['RÉF-001', 'réf001'],
  ])('%s -> %s', (number, expected) => {
    expect(normalizeInvoiceNumber(number)).toBe(expected);
  });
});

describe('candidateKeys', () => {
  it.each<[string | null | undefined, string[]]>([
    [null, []],
    [undefined, []],
    ['', []],
    ['  -- // ', []],
    ['INV-001', ['inv', 'inv001', '001']],
    ['inv inv', ['inv', 'invinv']],
    [
      'a b c d e',
      ['a', 'ab', 'abc', 'abcd', 'b', 'bc', 'bcd', 'bcde', 'c', 'cd', 'cde', 'd', 'de', 'e'],
    ],
  ])('%j -> %j', (text, expected) => {
    expect(candidateKeys(text)).toEqual(expected);
  });

  it.each([
    'inv 001',
    'INV_001',
    'inv001',
    'INV-001,',
    'Payment for INV-001.',
    'INV/001',
    '(inv.001)',
  ])('%j yields inv001', (text) => {
    expect(candidateKeys(text)).toContain('inv001');
  });

  it.each(['INV-0011', 'INV-00', 'XINV-001', 'INV-001A'])('%j never yields inv001', (text) => {
    expect(candidateKeys(text)).not.toContain('inv001');
  });

  it('joins at most maxTokens tokens', () => {
    expect(candidateKeys('a b c', 1)).toEqual(['a', 'b', 'c']);
    expect(candidateKeys('a b c d e')).not.toContain('abcde');
    expect(candidateKeys('a b c d e', 5)).toContain('abcde');
  });

  it.each([0, -1, 1.5])('refuses maxTokens %s', (maxTokens) => {
    expect(() => candidateKeys('INV-001', maxTokens)).toThrow(
      new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`),
    );
  });

  it('separates on any non-letter, non-digit and keeps letters of any script', () => {
    expect(candidateKeys('Счёт №15')).toEqual(['счёт', 'счёт15', '15']);
    expect(candidateKeys('Zahlung RÉF-001')).toContain('réf001');
  });

  it(`looks only at the first ${MAX_TEXT_CHARS} characters`, () => {
    expect(candidateKeys(`${' '.repeat(MAX_TEXT_CHARS)}INV-001`)).toEqual([]);
    expect(candidateKeys(`INV-001${' '.repeat(MAX_TEXT_CHARS)}`)).toContain('inv001');
  });

  it('drops a token the cut falls into, so INV-0011 cut short never reads INV-001', () => {
    const text = `${' '.repeat(MAX_TEXT_CHARS - 7)}INV-0011`;
    expect(text.slice(0, MAX_TEXT_CHARS).trim()).toBe('INV-001');
    expect(candidateKeys(text)).toEqual(['inv']);
  });

  it('keeps the last token when the cut falls on a separator, whatever follows', () => {
    const text = `INV-001${' '.repeat(MAX_TEXT_CHARS - 7)}more text`;
    expect(text.slice(0, MAX_TEXT_CHARS).endsWith('  ')).toBe(true);
    expect(candidateKeys(text)).toEqual(['inv', 'inv001', '001']);
  });

  it('keeps a whole token that ends right at the cut (fixed-width padded fields)', () => {
    const text = `${' '.repeat(MAX_TEXT_CHARS - 7)}INV-001${' '.repeat(500)}`;
    expect(candidateKeys(text)).toContain('inv001');
  });

  it('never splits a surrogate pair at the cut', () => {
    const letter = '\u{1D400}'; // MATHEMATICAL BOLD CAPITAL A, a letter outside the BMP
    const text = `${' '.repeat(MAX_TEXT_CHARS - 4)}INV${letter}${letter}`;
    expect(candidateKeys(text)).toEqual([]);
    const whole = `${' '.repeat(MAX_TEXT_CHARS - 5)}INV${letter} x`;
    expect(candidateKeys(whole)).toEqual([`inv${letter}`]);
    // The pair straddles the cut and a separator follows it: the token is still cut, so dropped.
    const straddling = `${' '.repeat(MAX_TEXT_CHARS - 4)}INV${letter} x`;
    expect(candidateKeys(straddling)).toEqual([]);
    // U+10000 (LINEAR B SYLLABLE B008 A), a letter whose high surrogate is the first, 0xD800.
    const lowest = `${' '.repeat(MAX_TEXT_CHARS - 4)}INV\u{10000} x`;
    expect(candidateKeys(lowest)).toEqual([]);
  });

  it('keeps the key count bounded whatever the text length', () => {
    const huge = Array.from({ length: 200_000 }, (_, i) => `t${i}`).join(' ');
    const keys = candidateKeys(huge);
    expect(keys.length).toBeLessThanOrEqual(4 * (MAX_TEXT_CHARS / 2));
    expect(keys).not.toContain('t199999');
  });
});

interface Case {
  name: string;
  tx?: Partial<MatchTransaction>;
  invoices: MatchInvoice[];
  expected: Decision;
}

const INV_001 = invoice('INV-001');
const INV_002 = invoice('INV-002', { outstanding: '3000.00' });

const cases: Case[] = [
  // The one-invoice rules.
  {
    name: 'exact payment of one invoice',
    invoices: [INV_001],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },
  ...['inv 001', 'INV_001', 'inv001', 'Inv.001', 'INV/001', 'Payment: INV-001, thanks'].map(
    (reference): Case => ({
      name: `reference ${JSON.stringify(reference)} names INV-001`,
      tx: { texts: [reference, null] },
      invoices: [INV_001],
      expected: {
        allocations: [{ invoiceId: 'id-INV-001', amount: '5000.00' }],
        reason: null,
        rule: single,
      },
    }),
  ),
  {
    name: 'INV-0011 does not name INV-001',
    tx: { texts: ['INV-0011', 'Transfer'] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'unknown_invoice', rule: noInvoiceNamed },
  },
  {
    name: 'INV-0011 names INV-0011 when both exist',
    tx: { texts: ['INV-0011', null] },
    invoices: [INV_001, invoice('INV-0011')],
    expected: {
      allocations: [{ invoiceId: 'id-INV-0011', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'a number inside a longer known number is not a name of its own',
    tx: { texts: ['INV-001-A', null] },
    invoices: [INV_001, invoice('INV-001-A')],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001-A', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'a number of four tokens',
    tx: { texts: ['inv 2026 03 001', null] },
    invoices: [invoice('INV-2026-03-001')],
    expected: {
      allocations: [{ invoiceId: 'id-INV-2026-03-001', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'a number that ends a longer known number is not a name of its own',
    tx: { texts: ['ACME-INV-001', null] },
    invoices: [INV_001, invoice('ACME-INV-001')],
    expected: {
      allocations: [{ invoiceId: 'id-ACME-INV-001', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },
  // Only a name inside another is dropped: two apart are both named, whichever is longer.
  ...['INV-001 INV-2026-002', 'INV-2026-002 INV-001'].map((reference): Case => ({
    name: `${JSON.stringify(reference)} names both invoices`,
    tx: { amount: '8000.00', unallocated: '8000.00', texts: [reference, null] },
    invoices: [INV_001, invoice('INV-2026-002', { outstanding: '3000.00' })],
    expected: {
      allocations: [
        { invoiceId: 'id-INV-001', amount: '5000.00' },
        { invoiceId: 'id-INV-2026-002', amount: '3000.00' },
      ],
      reason: null,
      rule: multi,
    },
  })),
  {
    name: 'the same invoice named twice is one invoice',
    tx: { texts: ['INV-001 / inv001', null] },
    invoices: [INV_001],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'partial payment',
    tx: { amount: '2000.00', unallocated: '2000.00' },
    invoices: [INV_001],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '2000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'the rest of a partially paid invoice',
    tx: { amount: '3000.00', unallocated: '3000.00' },
    invoices: [invoice('INV-001', { outstanding: '3000.00', status: 'partially_paid' })],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '3000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'overpayment: the outstanding amount is allocated, the surplus stays',
    tx: { amount: '6000.00', unallocated: '6000.00' },
    invoices: [INV_001],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '5000.00' }],
      reason: 'overpayment',
      rule: single,
    },
  },
  {
    name: 'amounts as PostgreSQL returns NUMERIC(20,4)',
    tx: { amount: '5000.0000', unallocated: '5000.0000' },
    invoices: [invoice('INV-001', { outstanding: '3000.0000' })],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '3000.00' }],
      reason: 'overpayment',
      rule: single,
    },
  },
  {
    name: 'JPY has no decimals',
    tx: { currency: 'JPY', amount: '10000', unallocated: '10000' },
    invoices: [invoice('INV-001', { currency: 'JPY', outstanding: '15000' })],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '10000' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'KWD has three decimals',
    tx: { currency: 'KWD', amount: '20.001', unallocated: '20.001' },
    invoices: [invoice('INV-001', { currency: 'KWD', outstanding: '20.000' })],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '20.000' }],
      reason: 'overpayment',
      rule: single,
    },
  },
  {
    name: 'currency mismatch',
    tx: { currency: 'USD' },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'currency_mismatch', rule: single },
  },
  {
    name: 'paid invoice',
    invoices: [invoice('INV-001', { status: 'paid', outstanding: '0.00' })],
    expected: { allocations: [], reason: 'invoice_already_paid', rule: single },
  },
  {
    name: 'paid invoice, whatever is left outstanding',
    invoices: [invoice('INV-001', { status: 'paid', outstanding: '5000.00' })],
    expected: { allocations: [], reason: 'invoice_already_paid', rule: single },
  },
  {
    name: 'nothing outstanding, whatever the status says',
    invoices: [invoice('INV-001', { status: 'partially_paid', outstanding: '0.0000' })],
    expected: { allocations: [], reason: 'invoice_already_paid', rule: single },
  },
  {
    name: 'cancelled invoice',
    invoices: [invoice('INV-001', { status: 'cancelled' })],
    expected: { allocations: [], reason: 'invoice_cancelled', rule: single },
  },
  {
    name: 'cancelled is reported before a currency mismatch',
    tx: { currency: 'USD' },
    invoices: [invoice('INV-001', { status: 'cancelled' })],
    expected: { allocations: [], reason: 'invoice_cancelled', rule: single },
  },
  {
    name: 'the surplus of a transaction that paid the invoice itself is an overpayment',
    tx: { unallocated: '500.00', allocatedInvoiceIds: ['id-INV-001'] },
    invoices: [invoice('INV-001', { status: 'paid', outstanding: '0.00' })],
    expected: { allocations: [], reason: 'overpayment', rule: single },
  },
  {
    name: 'a paid invoice that another transaction paid is already paid',
    tx: { unallocated: '500.00', allocatedInvoiceIds: ['id-INV-999'] },
    invoices: [invoice('INV-001', { status: 'paid', outstanding: '0.00' })],
    expected: { allocations: [], reason: 'invoice_already_paid', rule: single },
  },

  // Where the number is looked for.
  {
    name: 'the reference wins over the description',
    tx: { texts: ['INV-001', 'for INV-002'] },
    invoices: [INV_001, INV_002],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'the description when the reference names no known invoice',
    tx: { amount: '3000.00', unallocated: '3000.00', texts: ['REF 88213', 'for INV-002'] },
    invoices: [INV_001, INV_002],
    expected: {
      allocations: [{ invoiceId: 'id-INV-002', amount: '3000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'the description when there is no reference',
    tx: { amount: '3000.00', unallocated: '3000.00', texts: [null, 'payment inv-002'] },
    invoices: [INV_002],
    expected: {
      allocations: [{ invoiceId: 'id-INV-002', amount: '3000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: "Up's third text (rawText) when message and description name nothing",
    tx: { texts: [undefined, 'Transfer from J Smith', 'J SMITH INV001 OSKO'] },
    invoices: [INV_001],
    expected: {
      allocations: [{ invoiceId: 'id-INV-001', amount: '5000.00' }],
      reason: null,
      rule: single,
    },
  },

  // Nothing named.
  {
    name: 'no reference and nothing shaped like a number',
    tx: { texts: [null, 'Transfer'] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'no_reference', rule: noInvoiceNamed },
  },
  {
    name: 'blank texts are no reference',
    tx: { texts: ['   ', '', undefined] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'no_reference', rule: noInvoiceNamed },
  },
  {
    name: 'no texts at all',
    tx: { texts: [] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'no_reference', rule: noInvoiceNamed },
  },
  {
    name: 'a reference that names no known invoice',
    tx: { texts: ['thanks', null] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'unknown_invoice', rule: noInvoiceNamed },
  },
  {
    name: 'a description with an unknown invoice-shaped number',
    tx: { texts: [null, 'payment for INV 999'] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'unknown_invoice', rule: noInvoiceNamed },
  },
  {
    name: 'an unknown invoice-shaped number without a separator',
    tx: { texts: [null, 'payment INV999'] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'unknown_invoice', rule: noInvoiceNamed },
  },
  // Invoice-shaped is two letters or more, then two digits or more; anything less is not.
  ...['Flat B 12', 'Room 9', '0801 555 0199'].map((description): Case => ({
    name: `${JSON.stringify(description)} is not shaped like an invoice number`,
    tx: { texts: [null, description] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'no_reference', rule: noInvoiceNamed },
  })),
  {
    name: `an invoice-shaped number past the first ${MAX_TEXT_CHARS} characters is not looked at`,
    tx: { texts: [null, `${' '.repeat(MAX_TEXT_CHARS)}INV 999`] },
    invoices: [INV_001],
    expected: { allocations: [], reason: 'no_reference', rule: noInvoiceNamed },
  },

  // Several invoices.
  {
    name: 'several invoices paid exactly by the sum, ordered by number',
    tx: { amount: '8000.00', unallocated: '8000.00', texts: ['INV-002 and INV-001', null] },
    invoices: [INV_001, INV_002],
    expected: {
      allocations: [
        { invoiceId: 'id-INV-001', amount: '5000.00' },
        { invoiceId: 'id-INV-002', amount: '3000.00' },
      ],
      reason: null,
      rule: multi,
    },
  },
  // Ids in the other order, so that a sort that fell back to them would show; named in both
  // orders, so that the sort compares the numbers both ways round.
  ...['INV-002 and INV-001', 'INV-001 and INV-002'].map((reference): Case => ({
    name: `several invoices are ordered by number, not by id (${reference})`,
    tx: { amount: '8000.00', unallocated: '8000.00', texts: [reference, null] },
    invoices: [
      invoice('INV-001', { id: 'id-b' }),
      invoice('INV-002', { id: 'id-a', outstanding: '3000.00' }),
    ],
    expected: {
      allocations: [
        { invoiceId: 'id-b', amount: '5000.00' },
        { invoiceId: 'id-a', amount: '3000.00' },
      ],
      reason: null,
      rule: multi,
    },
  })),
  {
    name: 'several invoices, sums that floats get wrong',
    tx: { amount: '0.30', unallocated: '0.30', texts: ['INV-001 INV-002', null] },
    invoices: [
      invoice('INV-001', { outstanding: '0.1000' }),
      invoice('INV-002', { outstanding: '0.2000' }),
    ],
    expected: {
      allocations: [
        { invoiceId: 'id-INV-001', amount: '0.10' },
        { invoiceId: 'id-INV-002', amount: '0.20' },
      ],
      reason: null,
      rule: multi,
    },
  },
  {
    name: 'several KWD invoices',
    tx: {
      currency: 'KWD',
      amount: '1.501',
      unallocated: '1.501',
      texts: ['INV-001,INV-002', null],
    },
    invoices: [
      invoice('INV-001', { currency: 'KWD', outstanding: '1.500' }),
      invoice('INV-002', { currency: 'KWD', outstanding: '0.001' }),
    ],
    expected: {
      allocations: [
        { invoiceId: 'id-INV-001', amount: '1.500' },
        { invoiceId: 'id-INV-002', amount: '0.001' },
      ],
      reason: null,
      rule: multi,
    },
  },
  {
    name: 'several invoices, less than the sum',
    tx: { amount: '7999.99', unallocated: '7999.99', texts: ['INV-001 INV-002', null] },
    invoices: [INV_001, INV_002],
    expected: { allocations: [], reason: 'ambiguous', rule: multi },
  },
  {
    name: 'several invoices, more than the sum',
    tx: { amount: '9000.00', unallocated: '9000.00', texts: ['INV-001 INV-002', null] },
    invoices: [INV_001, INV_002],
    expected: { allocations: [], reason: 'ambiguous', rule: multi },
  },
  {
    name: 'several invoices in another currency',
    tx: { amount: '8000.00', unallocated: '8000.00', texts: ['INV-001 INV-002', null] },
    invoices: [INV_001, invoice('INV-002', { currency: 'USD', outstanding: '3000.00' })],
    expected: { allocations: [], reason: 'currency_mismatch', rule: multi },
  },
  {
    name: 'several invoices of which one is open: that one is paid as a single',
    tx: { amount: '3000.00', unallocated: '3000.00', texts: ['INV-001 INV-002', null] },
    invoices: [invoice('INV-001', { status: 'paid', outstanding: '0.00' }), INV_002],
    expected: {
      allocations: [{ invoiceId: 'id-INV-002', amount: '3000.00' }],
      reason: null,
      rule: single,
    },
  },
  {
    name: 'several invoices, none open, the first named cancelled',
    tx: { texts: ['INV-001 INV-002', null] },
    invoices: [
      invoice('INV-001', { status: 'cancelled' }),
      invoice('INV-002', { status: 'paid', outstanding: '0.00' }),
    ],
    expected: { allocations: [], reason: 'invoice_cancelled', rule: multi },
  },
  {
    name: 'several invoices, none open, the first named paid',
    tx: { texts: ['INV-002 INV-001', null] },
    invoices: [
      invoice('INV-001', { status: 'cancelled' }),
      invoice('INV-002', { status: 'paid', outstanding: '0.00' }),
    ],
    expected: { allocations: [], reason: 'invoice_already_paid', rule: multi },
  },
  {
    name: 'several invoices, all cancelled',
    tx: { texts: ['INV-001 INV-002', null], allocatedInvoiceIds: [] },
    invoices: [
      invoice('INV-001', { status: 'cancelled' }),
      invoice('INV-002', { status: 'cancelled' }),
    ],
    expected: { allocations: [], reason: 'invoice_cancelled', rule: multi },
  },
  {
    name: 'several paid invoices, only one of them paid by this transaction',
    tx: {
      unallocated: '100.00',
      texts: ['INV-001 INV-002', null],
      allocatedInvoiceIds: ['id-INV-001'],
    },
    invoices: [
      invoice('INV-001', { status: 'paid', outstanding: '0.00' }),
      invoice('INV-002', { status: 'paid', outstanding: '0.00' }),
    ],
    expected: { allocations: [], reason: 'invoice_already_paid', rule: multi },
  },
  {
    name: 'the one it paid itself and a cancelled one: the rest is an overpayment',
    tx: {
      unallocated: '100.00',
      texts: ['INV-001 INV-002', null],
      allocatedInvoiceIds: ['id-INV-001'],
    },
    invoices: [
      invoice('INV-001', { status: 'paid', outstanding: '0.00' }),
      invoice('INV-002', { status: 'cancelled' }),
    ],
    expected: { allocations: [], reason: 'overpayment', rule: multi },
  },
  {
    name: 'several invoices this transaction paid itself: the rest is an overpayment',
    tx: {
      unallocated: '100.00',
      texts: ['INV-001 INV-002', null],
      allocatedInvoiceIds: ['id-INV-001', 'id-INV-002'],
    },
    invoices: [
      invoice('INV-001', { status: 'paid', outstanding: '0.00' }),
      invoice('INV-002', { status: 'paid', outstanding: '0.00' }),
    ],
    expected: { allocations: [], reason: 'overpayment', rule: multi },
  },

  // Nothing to do.
  {
    name: 'debits naming an unpaid invoice are ignored',
    tx: { direction: 'debit' },
    invoices: [INV_001],
    expected: { allocations: [], reason: null, rule: ignoredDebit },
  },
  {
    name: 'a debit naming a paid invoice is a refund',
    tx: { direction: 'debit', texts: ['Refund INV-001'] },
    invoices: [invoice('INV-001', { status: 'paid', outstanding: '0.0000' })],
    expected: { allocations: [], reason: 'refund', rule: MATCH_RULES.refund },
  },
  {
    name: 'a debit naming a partially paid invoice is a refund',
    tx: { direction: 'debit', texts: ['chargeback', 'INV-001'] },
    invoices: [invoice('INV-001', { status: 'partially_paid', outstanding: '100.0000' })],
    expected: { allocations: [], reason: 'refund', rule: MATCH_RULES.refund },
  },
  {
    name: 'nothing left to allocate',
    tx: { unallocated: '0.00' },
    invoices: [INV_001],
    expected: { allocations: [], reason: null, rule: nothingUnallocated },
  },
  {
    name: 'nothing left to allocate, as PostgreSQL returns it',
    tx: { unallocated: '0.0000' },
    invoices: [INV_001],
    expected: { allocations: [], reason: null, rule: nothingUnallocated },
  },
];

describe('decide', () => {
  it.each(cases)('$name', ({ tx, invoices, expected }) => {
    expect(decide(transaction(tx), byKey(invoices))).toEqual(expected);
  });

  it('covers every exception reason', () => {
    const reasons = new Set(cases.map((c) => c.expected.reason));
    for (const reason of EXCEPTION_REASONS) {
      expect(reasons).toContain(reason);
    }
  });

  it('finds only invoices the service can load through candidateKeys', () => {
    for (const { tx, invoices } of cases) {
      const t = transaction(tx);
      const keys = new Set(t.texts.flatMap((text) => candidateKeys(text)));
      const loadable = invoices.filter((inv) => keys.has(inv.normalized));
      const withAll = decide(t, byKey(invoices));
      expect(decide(t, byKey(loadable))).toEqual(withAll);
    }
  });

  it('never allocates more than the unallocated amount, nor more than an invoice owes', () => {
    for (const { tx, invoices } of cases) {
      const t = transaction(tx);
      const { allocations } = decide(t, byKey(invoices));
      const owed = new Map(invoices.map((inv) => [inv.id, toMinor(inv.outstanding, t.currency)]));
      let total = 0n;
      for (const { invoiceId, amount } of allocations) {
        const minor = toMinor(amount, t.currency);
        expect(minor).toBeGreaterThan(0n);
        expect(minor).toBeLessThanOrEqual(owed.get(invoiceId) ?? 0n);
        total += minor;
      }
      expect(total).toBeLessThanOrEqual(toMinor(t.unallocated, t.currency));
    }
  });

  it('throws on an amount it cannot read rather than guess', () => {
    expect(() => decide(transaction({ unallocated: '5,000.00' }), byKey([INV_001]))).toThrow(
      RangeError,
    );
  });
});

describe('decide with write-off rules', () => {
  const rules = [
    {
      id: 'fees',
      name: 'Bank fees',
      currency: 'NGN',
      maxAmount: '50.00',
      maxPercent: '1',
      reason: 'bank_fee' as const,
    },
  ];

  it('settles a named invoice short by what a rule allows', () => {
    expect(decide(transaction({ unallocated: '4950.00' }), byKey([INV_001]), rules)).toEqual({
      allocations: [{ invoiceId: INV_001.id, amount: '4950.00' }],
      writeOff: { invoiceId: INV_001.id, amount: '50.00', reason: 'bank_fee', ruleId: 'fees' },
      reason: null,
      rule: MATCH_RULES.writeOff,
    });
  });

  it('keeps a larger shortfall, or one over the percentage, a partial payment', () => {
    for (const unallocated of ['4949.99', '4000.00']) {
      const d = decide(transaction({ unallocated }), byKey([INV_001]), rules);
      expect(d).toEqual({
        allocations: [{ invoiceId: INV_001.id, amount: unallocated }],
        reason: null,
        rule: MATCH_RULES.single,
      });
    }
    const small = invoice('INV-001', { outstanding: '100.00' });
    // 2.00 is within 50.00 but 2 % of 100.00, over the rule's 1 %.
    expect(decide(transaction({ unallocated: '98.00' }), byKey([small]), rules).writeOff).toBe(
      undefined,
    );
  });

  it('never writes off in another currency, or on an ambiguous reference', () => {
    const usd = [{ ...rules[0], currency: 'USD' }];
    expect(decide(transaction({ unallocated: '4990.00' }), byKey([INV_001]), usd).writeOff).toBe(
      undefined,
    );
    const two = [INV_001, invoice('INV-002')];
    const d = decide(
      transaction({ unallocated: '9990.00', texts: ['INV-001 INV-002'] }),
      byKey(two),
      rules,
    );
    expect(d).toMatchObject({ allocations: [], reason: 'ambiguous' });
  });
});
