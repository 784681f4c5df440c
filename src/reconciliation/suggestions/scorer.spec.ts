import { normalizeInvoiceNumber } from '../matcher';
import {
  autoPick,
  candidateKey,
  CLOSE_SECOND_SCORE,
  MAX_SUGGESTIONS,
  suggest,
  type SuggestInput,
  type SuggestInvoice,
  type SuggestTransaction,
} from './scorer';
import type { WriteOffRule } from './write-off';

const AUTO = 0.95;
const NOW = new Date('2026-11-20T10:00:00Z');

function invoice(number: string, over: Partial<SuggestInvoice> = {}): SuggestInvoice {
  return {
    id: `id-${number}`,
    number,
    normalized: normalizeInvoiceNumber(number),
    currency: 'EUR',
    outstanding: '120.00',
    status: 'pending',
    customer: 'Acme Ltd',
    dueDate: '2026-11-25',
    createdAt: new Date('2026-11-01T09:00:00Z'),
    knownAccounts: [],
    ...over,
  };
}

function tx(over: Partial<SuggestTransaction> = {}): SuggestTransaction {
  return {
    id: 'tx-1',
    currency: 'EUR',
    direction: 'credit',
    amount: '120.00',
    unallocated: '120.00',
    texts: [null, null],
    counterparty: null,
    counterpartyAccount: null,
    occurredAt: NOW,
    ...over,
  };
}

function run(over: Partial<SuggestInput>): ReturnType<typeof suggest> {
  return suggest({
    tx: tx(),
    invoices: [],
    rules: [],
    allocations: [],
    declined: new Set(),
    ...over,
  });
}

const fees: WriteOffRule = {
  id: 'rule-fees',
  name: 'Bank fees',
  currency: 'EUR',
  maxAmount: '5.00',
  maxPercent: null,
  reason: 'bank_fee',
};

describe('suggestions', () => {
  it('proposes a misread reference with the exact amount, confidently enough to apply', () => {
    const ranked = run({
      tx: tx({ texts: ['INV-1O01', 'Payment'], counterparty: 'ACME Limited' }),
      // INV-2001: the same customer and amount, but the reference points elsewhere.
      invoices: [invoice('INV-1001'), invoice('INV-2001')],
    });
    expect(ranked).toHaveLength(2);
    expect(ranked[1].evidence.reference.detail).toBe('the reference points to INV-1001 instead');
    expect(ranked[1].score).toBeLessThan(CLOSE_SECOND_SCORE);
    const [top] = ranked;
    expect(top).toMatchObject({
      kind: 'near_reference',
      invoices: [{ invoiceId: 'id-INV-1001', invoiceNumber: 'INV-1001', amount: '120.00' }],
      writeOff: null,
      reversalOf: null,
    });
    expect(top.score).toBeGreaterThanOrEqual(AUTO);
    expect(top.evidence.reference).toEqual({
      score: 0.9,
      detail: '"inv1o01" reads as INV-1001 (O for 0 or I/l for 1)',
    });
    expect(top.evidence.amount.detail).toBe('pays the outstanding 120.00 EUR exactly');
    expect(top.evidence.party.detail).toBe('payer "ACME Limited" is Acme Ltd');
    expect(top.evidence.currency).toEqual({ score: 1, detail: 'both in EUR' });
    expect(autoPick(ranked, AUTO)).toBe(top);
  });

  it('never applies a slip that two invoices of the same amount are equally near', () => {
    // INV-1011 is one slip from both INV-1001 and INV-1010: a coin toss is not a match.
    const ranked = run({
      tx: tx({ texts: ['INV-1011'] }),
      invoices: [invoice('INV-1001'), invoice('INV-1010')],
    });
    expect(ranked.map((s) => s.invoices[0].invoiceNumber).sort()).toEqual(['INV-1001', 'INV-1010']);
    expect(ranked[1].score).toBeGreaterThan(CLOSE_SECOND_SCORE);
    expect(autoPick(ranked, AUTO)).toBeNull();
  });

  it('suggests but does not apply a slip with a partial amount', () => {
    const ranked = run({
      tx: tx({ texts: ['INV-1002'], unallocated: '50.00', amount: '50.00' }),
      invoices: [invoice('INV-1001')],
    });
    expect(ranked[0].evidence.amount.detail).toBe('pays 50.00 of the outstanding 120.00 EUR');
    expect(ranked[0].invoices[0].amount).toBe('50.00');
    expect(ranked[0].score).toBeLessThan(AUTO);
    expect(autoPick(ranked, AUTO)).toBeNull();
  });

  it('writes off a bank fee on a near reference, as its own candidate', () => {
    const ranked = run({
      tx: tx({
        texts: ['INV-1002'],
        unallocated: '117.50',
        amount: '117.50',
        counterparty: 'Acme',
      }),
      invoices: [invoice('INV-1001')],
      rules: [fees],
    });
    expect(ranked[0]).toMatchObject({
      key: 'id-INV-1001+write_off',
      invoices: [{ invoiceId: 'id-INV-1001', amount: '117.50' }],
      writeOff: { amount: '2.50', reason: 'bank_fee', ruleId: 'rule-fees' },
    });
    expect(ranked[0].evidence.amount.detail).toBe(
      'short of the outstanding 120.00 by 2.50 EUR, within write-off rule "Bank fees" (bank_fee)',
    );
  });

  it('offers the invoice of the payer with exactly that amount, not automatically', () => {
    const ranked = run({
      tx: tx({ counterparty: 'ACME LTD', texts: ['thanks'] }),
      invoices: [
        invoice('INV-1', { outstanding: '99.00' }),
        invoice('INV-2'),
        invoice('INV-3', { customer: 'Globex' }), // same amount, another customer
      ],
    });
    expect(ranked.map((s) => [s.kind, s.invoices[0].invoiceNumber])).toEqual([['amount', 'INV-2']]);
    expect(ranked[0].evidence.reference.detail).toBe('no invoice number in the reference');
    expect(ranked[0].score).toBeGreaterThan(0.8);
    expect(ranked[0].score).toBeLessThan(AUTO);
  });

  it('knows the payer by an account that paid the customer before', () => {
    const ranked = run({
      tx: tx({ counterpartyAccount: 'GB29 NWBK 6016 1331 9268 19', counterparty: 'J SMITH' }),
      invoices: [invoice('INV-2', { knownAccounts: ['GB29NWBK60161331926819'] })],
    });
    expect(ranked[0].evidence.party).toEqual({
      score: 1,
      detail: 'account …6819 paid Acme Ltd before',
    });
  });

  it('proposes no amount candidate without the party', () => {
    expect(run({ tx: tx({ counterparty: 'Globex' }), invoices: [invoice('INV-2')] })).toEqual([]);
    expect(run({ tx: tx(), invoices: [invoice('INV-2')] })).toEqual([]);
  });

  it('finds one transfer paying several invoices of one customer', () => {
    const ranked = run({
      tx: tx({ counterparty: 'Acme', unallocated: '450.00', amount: '450.00' }),
      invoices: [
        invoice('INV-1', { outstanding: '100.00' }),
        invoice('INV-2', { outstanding: '150.00' }),
        invoice('INV-3', { outstanding: '200.00' }),
        invoice('INV-9', { outstanding: '999.00' }),
        invoice('G-1', { outstanding: '450.00', customer: 'Globex' }),
      ],
    });
    expect(ranked).toHaveLength(1);
    expect(ranked[0]).toMatchObject({
      kind: 'split',
      invoices: [
        { invoiceNumber: 'INV-1', amount: '100.00' },
        { invoiceNumber: 'INV-2', amount: '150.00' },
        { invoiceNumber: 'INV-3', amount: '200.00' },
      ],
    });
    expect(ranked[0].evidence.amount.detail).toBe(
      '3 open invoices of Acme Ltd (INV-1, INV-2, INV-3) sum to 450.00 EUR exactly',
    );
    expect(autoPick(ranked, AUTO)).toBeNull(); // a set is never sure enough without a reference
  });

  it('leaves out paid, cancelled and other-currency invoices', () => {
    const ranked = run({
      tx: tx({ texts: ['INV-1002'], counterparty: 'Acme' }),
      invoices: [
        invoice('INV-1001', { status: 'paid', outstanding: '0.00' }),
        invoice('INV-1003', { status: 'cancelled' }),
        invoice('INV-1004', { currency: 'USD' }),
        invoice('INV-1000', { status: 'partially_paid', outstanding: '0.0000' }),
      ],
    });
    expect(ranked).toEqual([]);
  });

  it('counts against a candidate that the text names another invoice', () => {
    const names = run({
      tx: tx({ texts: ['INV-7777'], counterparty: 'Acme' }),
      invoices: [invoice('INV-2'), invoice('INV-7777', { status: 'paid', outstanding: '0.00' })],
    });
    const plain = run({
      tx: tx({ texts: ['hello'], counterparty: 'Acme' }),
      invoices: [invoice('INV-2')],
    });
    expect(names[0].evidence.reference.detail).toBe('the reference points to INV-7777 instead');
    expect(names[0].score).toBeLessThan(plain[0].score);
    expect(names[0].score).toBeLessThan(CLOSE_SECOND_SCORE);
  });

  it('counts against a payment dated before the invoice existed', () => {
    const early = run({
      tx: tx({ texts: ['INV-1002'], occurredAt: new Date('2026-10-01T00:00:00Z') }),
      invoices: [invoice('INV-1001')],
    });
    const onTime = run({ tx: tx({ texts: ['INV-1002'] }), invoices: [invoice('INV-1001')] });
    expect(early[0].evidence.date.detail).toBe('paid 31 days before INV-1001 was created');
    expect(onTime[0].evidence.date.detail).toBe('paid 5 days before the due date of INV-1001');
    expect(early[0].score).toBeLessThan(onTime[0].score);
  });

  it('says "1 day", not "1 days"', () => {
    const at = (iso: string) =>
      run({
        tx: tx({ texts: ['INV-1002'], occurredAt: new Date(iso) }),
        invoices: [invoice('INV-1001')],
      })[0].evidence.date.detail;
    expect(at('2026-10-30T12:00:00Z')).toBe('paid 1 day before INV-1001 was created');
    expect(at('2026-11-24T00:00:00Z')).toBe('paid 1 day before the due date of INV-1001');
    expect(at('2026-11-26T00:00:00Z')).toBe('paid 1 day after the due date of INV-1001');
    expect(at('2026-11-25T00:00:00Z')).toBe('paid on the due date of INV-1001');
  });

  it('never proposes an invoice a person took this transaction away from', () => {
    const input = { tx: tx({ texts: ['INV-1001'] }), invoices: [invoice('INV-1001')] };
    expect(run(input)).toHaveLength(1);
    expect(run({ ...input, blocked: new Set(['id-INV-1001']) })).toEqual([]);
  });

  it('never proposes a declined candidate again', () => {
    const input = { tx: tx({ texts: ['INV-1O01'] }), invoices: [invoice('INV-1001')] };
    expect(run(input)).toHaveLength(1);
    expect(
      run({ ...input, declined: new Set([candidateKey(['id-INV-1001'], false, null)]) }),
    ).toEqual([]);
  });

  it('proposes the reversal for a debit naming an invoice it paid (a refund), never automatically', () => {
    const ranked = run({
      tx: tx({
        direction: 'debit',
        texts: ['Refund INV-1001'],
        amount: '120.00',
        unallocated: '120.00',
      }),
      invoices: [invoice('INV-1001', { status: 'paid', outstanding: '0.00' })],
      allocations: [{ matchId: 'match-1', invoiceId: 'id-INV-1001', amount: '120.0000' }],
    });
    expect(ranked).toHaveLength(1);
    expect(ranked[0]).toMatchObject({
      kind: 'refund',
      reversalOf: 'match-1',
      key: 'reverse:match-1',
    });
    expect(ranked[0].evidence.amount.detail).toBe('takes back exactly the 120.00 EUR allocated');
    expect(ranked[0].score).toBeGreaterThanOrEqual(AUTO);
    expect(autoPick(ranked, AUTO)).toBeNull();
  });

  it('proposes nothing for a debit that names nothing it paid', () => {
    expect(
      run({ tx: tx({ direction: 'debit', texts: ['Card fee'] }), invoices: [invoice('INV-1')] }),
    ).toEqual([]);
  });

  it('keeps the best five, best first, and says "no second" only when there is none', () => {
    const invoices = Array.from({ length: 8 }, (_, i) => invoice(`INV-10${i}0`));
    const ranked = run({ tx: tx({ texts: ['INV-1000 INV-1010 INV-1020 INV-1030'] }), invoices });
    expect(ranked.length).toBeLessThanOrEqual(MAX_SUGGESTIONS);
    for (let i = 1; i < ranked.length; i++)
      expect(ranked[i - 1].score).toBeGreaterThanOrEqual(ranked[i].score);
  });

  it('lets AUTO_MATCH_THRESHOLD=off disable automatic matching', () => {
    const ranked = run({
      tx: tx({ texts: ['INV-1O01'], counterparty: 'Acme' }),
      invoices: [invoice('INV-1001')],
    });
    expect(autoPick(ranked, null)).toBeNull();
    expect(autoPick(ranked, AUTO)).not.toBeNull();
    expect(autoPick(ranked, 1.01)).toBeNull();
  });
});

/**
 * The calibration, pinned: each factor's log-likelihood ratio shows in the score (a change to
 * one is a deliberate change of this table), and each branch of the evidence says what it saw.
 */
describe('suggestion scores and evidence', () => {
  const top = (over: Partial<SuggestInput>) => run(over)[0];
  const acme = 'Acme Ltd';

  it.each([
    // [what, transaction, invoice, score]
    [
      'misread reference, exact amount, same name, near due',
      { texts: ['INV-1O01'], counterparty: acme },
      {},
      0.999,
    ],
    ['misread reference, partial amount', { texts: ['INV-1O01'], unallocated: '60.00' }, {}, 0.622],
    ['one slip, exact amount, no payer name', { texts: ['INV-1002'] }, {}, 0.943],
    ['one slip, partial amount', { texts: ['INV-1002'], unallocated: '60.00' }, {}, 0.231],
    [
      'one slip, overpaid, same name',
      { texts: ['INV-1002'], unallocated: '150.00', counterparty: acme },
      {},
      0.5,
    ],
    [
      'one slip, exact amount, another party',
      { texts: ['INV-1002'], counterparty: 'Globex' },
      {},
      0.786,
    ],
    ['named, exact amount, same name', { texts: ['INV-1001'], counterparty: acme }, {}, 1],
    ['amount, same name', { counterparty: acme }, {}, 0.924],
    [
      'amount, a similar name',
      { counterparty: 'Acme Tradng' },
      { customer: 'Acme Trading Ltd' },
      0.818,
    ],
    [
      'amount, a known account',
      { counterpartyAccount: 'GB29NWBK60161331926819' },
      { knownAccounts: ['GB29 NWBK 6016 1331 9268 19'] },
      0.943,
    ],
  ] as Array<[string, Partial<SuggestTransaction>, Partial<SuggestInvoice>, number]>)(
    '%s: %p',
    (_what, t, i, score) => {
      const best = top({ tx: tx(t), invoices: [invoice('INV-1001', i)] });
      expect(best.score).toBe(score);
    },
  );

  it('weighs the date: no date, before the invoice, near the due date, long after', () => {
    const at = (occurredAt: Date | null, over: Partial<SuggestInvoice> = {}) =>
      top({ tx: tx({ texts: ['INV-1002'], occurredAt }), invoices: [invoice('INV-1001', over)] });
    const none = at(null);
    expect(none.evidence.date).toEqual({ score: 0.5, detail: 'no payment date' });
    expect(none.score).toBe(0.924);
    const early = at(new Date('2026-10-01T00:00:00Z'));
    expect(early.evidence.date.score).toBe(0);
    expect(early.score).toBe(0.731);
    const stale = at(NOW, { createdAt: new Date('2026-01-01T00:00:00Z'), dueDate: null });
    expect(stale.evidence.date).toEqual({
      score: 0.2,
      detail: 'paid 323 days after INV-1001 was created',
    });
    expect(stale.score).toBe(0.881);
    const recent = at(NOW, { dueDate: null });
    expect(recent.evidence.date).toEqual({
      score: 0.6,
      detail: 'paid 19 days after INV-1001 was created',
    });
    expect(recent.score).toBe(0.924);
    const half = at(NOW, { createdAt: new Date('2026-05-24T10:00:00Z'), dueDate: null });
    expect(half.evidence.date.detail).toBe('paid 180 days after INV-1001 was created');
    expect(half.score).toBe(0.924); // 180 days is not stale yet
    const older = at(NOW, { createdAt: new Date('2026-05-23T10:00:00Z'), dueDate: null });
    expect(older.score).toBe(0.881);
  });

  it('counts as near the due date from 60 days before to 30 days after it', () => {
    const at = (iso: string) =>
      top({
        tx: tx({ texts: ['INV-1002'], occurredAt: new Date(iso) }),
        invoices: [invoice('INV-1001', { createdAt: new Date('2026-08-01T00:00:00Z') })],
      }).evidence.date;
    expect(at('2026-09-26T00:00:00Z')).toEqual({
      score: 1,
      detail: 'paid 60 days before the due date of INV-1001',
    });
    expect(at('2026-09-25T00:00:00Z')).toEqual({
      score: 0.6,
      detail: 'paid 55 days after INV-1001 was created',
    });
    expect(at('2026-12-25T00:00:00Z').detail).toBe('paid 30 days after the due date of INV-1001');
    expect(at('2026-12-26T00:00:00Z').detail).toBe('paid 147 days after INV-1001 was created');
  });

  it('allows a payment dated up to a day before the invoice (time zones, same-day entry)', () => {
    const created = new Date('2026-11-01T09:00:00Z');
    const at = (ms: number) =>
      top({
        tx: tx({ texts: ['INV-1002'], occurredAt: new Date(created.getTime() - ms) }),
        invoices: [invoice('INV-1001', { createdAt: created, dueDate: null })],
      }).evidence.date.detail;
    expect(at(86_400_000)).toBe('paid 0 days after INV-1001 was created');
    expect(at(86_400_001)).toBe('paid 1 day before INV-1001 was created');
  });

  it('says who the payer is, and is not', () => {
    const party = (t: Partial<SuggestTransaction>, i: Partial<SuggestInvoice> = {}) =>
      top({ tx: tx({ texts: ['INV-1002'], ...t }), invoices: [invoice('INV-1001', i)] }).evidence
        .party;
    expect(party({})).toEqual({ score: 0, detail: 'no payer name' });
    expect(party({ counterparty: 'Acme' }, { customer: null })).toEqual({
      score: 0,
      detail: 'the invoice names no customer',
    });
    expect(party({ counterparty: 'Acme Tradng' }, { customer: 'Acme Trading Ltd' })).toEqual({
      score: 0.909,
      detail: 'payer "Acme Tradng" is like Acme Trading Ltd (0.909)',
    });
    expect(party({ counterparty: 'Acne' }, { customer: 'Acme' })).toEqual({
      score: 0.75,
      detail: 'payer "Acne" is unlike Acme (0.75)',
    });
    expect(party({ counterparty: 'Globex' })).toEqual({
      score: 0.167,
      detail: 'payer "Globex" is not Acme Ltd',
    });
    expect(
      party(
        { counterparty: 'J Smith', counterpartyAccount: 'gb29-nwbk' },
        { customer: null, knownAccounts: ['GB29NWBK'] },
      ),
    ).toEqual({ score: 1, detail: 'account …NWBK paid the customer before' });
  });

  it('offers an amount candidate only to a party that matches, never to an "unlike" name', () => {
    expect(
      run({ tx: tx({ counterparty: 'Acne' }), invoices: [invoice('INV-1', { customer: 'Acme' })] }),
    ).toEqual([]);
    expect(
      top({
        tx: tx({ counterparty: 'Acme Tradng' }),
        invoices: [invoice('INV-1', { customer: 'Acme Trading Ltd' })],
      }).kind,
    ).toBe('amount');
  });

  it('says how an overpayment and the reference compare', () => {
    const over = top({
      tx: tx({ texts: ['INV-1002'], unallocated: '150.00', counterparty: acme }),
      invoices: [invoice('INV-1001')],
    });
    expect(over.evidence.amount).toEqual({
      score: 0.2,
      detail: 'pays 30.00 EUR more than the outstanding 120.00',
    });
    expect(over.invoices[0].amount).toBe('120.00');
    expect(
      top({ tx: tx({ texts: ['  ', null], counterparty: acme }), invoices: [invoice('INV-1')] })
        .evidence.reference,
    ).toEqual({ score: 0, detail: 'no reference' });
    expect(
      top({ tx: tx({ texts: ['INV-1002'] }), invoices: [invoice('INV-1001')] }).evidence.reference,
    ).toEqual({ score: 0.8, detail: '"inv1002" is one slip from INV-1001' });
    const named = top({ tx: tx({ texts: ['INV-1001'] }), invoices: [invoice('INV-1001')] });
    expect(named.kind).toBe('named');
    expect(named.evidence.reference).toEqual({ score: 1, detail: 'names INV-1001' });
    // A reference pointing to several: all named, sorted.
    const elsewhere = top({
      tx: tx({ texts: ['INV-7002 INV-7001'], counterparty: acme }),
      invoices: [
        invoice('INV-9', { outstanding: '120.00' }),
        invoice('INV-7001', { outstanding: '10.00' }),
        invoice('INV-7002', { outstanding: '10.00' }),
      ],
    });
    const amount = run({
      tx: tx({ texts: ['INV-7002 INV-7001'], counterparty: acme }),
      invoices: [
        invoice('INV-9', { outstanding: '120.00' }),
        invoice('INV-7001', { outstanding: '10.00' }),
        invoice('INV-7002', { outstanding: '10.00' }),
      ],
    }).find((s) => s.kind === 'amount')!;
    expect(elsewhere.kind).toBe('named');
    expect(amount.evidence.reference).toEqual({
      score: 0,
      detail: 'the reference points to INV-7001, INV-7002 instead',
    });
    expect(amount.score).toBe(0.269);
  });

  it('prefers a misreading to a typo when the text has both', () => {
    const best = top({
      tx: tx({ texts: ['INV-1002', 'INV-1O01'] }),
      invoices: [invoice('INV-1001')],
    });
    expect(best.evidence.reference.detail).toBe(
      '"inv1o01" reads as INV-1001 (O for 0 or I/l for 1)',
    );
    expect(best.evidence.reference.score).toBe(0.9);
  });

  it('drops candidates below 0.1 and breaks ties by key', () => {
    // A slip, a partial amount, another party, before the invoice: noise.
    expect(
      run({
        tx: tx({
          texts: ['INV-1002'],
          unallocated: '60.00',
          counterparty: 'Globex',
          occurredAt: new Date('2026-10-01T00:00:00Z'),
        }),
        invoices: [invoice('INV-1001')],
      }),
    ).toEqual([]);
    const tied = run({
      tx: tx({ texts: ['INV-1011'] }),
      invoices: [invoice('INV-1010'), invoice('INV-1001')],
    });
    expect(tied.map((s) => s.key)).toEqual(['id-INV-1001', 'id-INV-1010']);
    expect(tied[0].score).toBe(tied[1].score);
  });

  it('names the payer in a set whose customer is known only by the account', () => {
    const known = { customer: null, knownAccounts: ['NL91ABNA0417164300'] };
    const ranked = run({
      tx: tx({
        counterpartyAccount: 'NL91ABNA0417164300',
        unallocated: '300.00',
        amount: '300.00',
      }),
      invoices: [
        invoice('INV-1', { ...known, outstanding: '100.00' }),
        invoice('INV-2', { ...known, outstanding: '200.00' }),
      ],
    });
    expect(ranked[0].kind).toBe('split');
    expect(ranked[0].evidence.amount.detail).toBe(
      '2 open invoices of the payer (INV-1, INV-2) sum to 300.00 EUR exactly',
    );
    expect(ranked[0].evidence.party.detail).toBe('account …4300 paid the customer before');
  });

  it('dates a set by its oldest invoice, and scores it below the automatic bar', () => {
    const ranked = run({
      tx: tx({ counterparty: acme, unallocated: '300.00', amount: '300.00' }),
      invoices: [
        invoice('INV-2', { outstanding: '200.00', createdAt: new Date('2026-11-10T00:00:00Z') }),
        invoice('INV-1', {
          outstanding: '100.00',
          createdAt: new Date('2026-11-02T00:00:00Z'),
          dueDate: null,
        }),
      ],
    });
    expect(ranked[0].evidence.date.detail).toBe('paid 18 days after INV-1 was created');
    expect(ranked[0].score).toBe(0.802);
  });

  it('searches the oldest 40 open invoices of a party for a set, no more', () => {
    const day = (d: number) => new Date(Date.UTC(2026, 9, 1) + d * 86_400_000);
    const invoices = Array.from({ length: 40 }, (_, k) =>
      invoice(`OLD-${k}`, { outstanding: '1000.00', createdAt: day(k) }),
    );
    // Only the 41st, the newest, completes 1000.00 + 7.00.
    invoices.push(invoice('NEW-1', { outstanding: '7.00', createdAt: day(41) }));
    const ranked = run({
      tx: tx({ counterparty: acme, unallocated: '1007.00', amount: '1007.00' }),
      invoices,
    });
    expect(ranked.filter((s) => s.kind === 'split')).toEqual([]);
    invoices.shift(); // now it is among the 40 oldest
    const again = run({
      tx: tx({ counterparty: acme, unallocated: '1007.00', amount: '1007.00' }),
      invoices,
    });
    expect(again.some((s) => s.kind === 'split')).toBe(true);
  });

  it('says how much a refund takes back', () => {
    const refund = (
      amount: string,
      over: Partial<SuggestInvoice> = {},
      texts = ['Refund INV-1001'],
    ) =>
      run({
        tx: tx({ direction: 'debit', texts, amount, unallocated: amount }),
        invoices: [invoice('INV-1001', { status: 'paid', outstanding: '0.00', ...over })],
        allocations: [{ matchId: 'm-1', invoiceId: 'id-INV-1001', amount: '120.0000' }],
      });
    const exact = refund('120.00')[0];
    expect(exact.score).toBe(0.998);
    expect(exact.evidence.reference).toEqual({ score: 1, detail: 'names INV-1001' });
    expect(exact.invoices).toEqual([
      { invoiceId: 'id-INV-1001', invoiceNumber: 'INV-1001', amount: '120.00' },
    ]);
    const part = refund('50.00')[0];
    expect(part.evidence.amount).toEqual({
      score: 0.4,
      detail: 'takes back 50.00 of the 120.00 EUR allocated',
    });
    expect(part.score).toBe(0.909);
    const more = refund('150.00')[0];
    expect(more.evidence.amount).toEqual({
      score: 0.2,
      detail: 'takes back 150.00 of the 120.00 EUR allocated',
    });
    expect(more.score).toBe(0.786);
    expect(refund('120.00', { currency: 'USD' })).toEqual([]);
    expect(refund('120.00', {}, ['Refund'])).toEqual([]);
  });

  it('gives the same candidate the same key, whatever the order of its invoices', () => {
    expect(candidateKey(['b', 'a'], false, null)).toBe('a,b');
    expect(candidateKey(['a'], true, null)).toBe('a+write_off');
    expect(candidateKey(['a'], false, 'm-1')).toBe('reverse:m-1');
  });

  it('applies automatically only at or above the threshold and with no second above 0.5', () => {
    const sure = run({
      tx: tx({ texts: ['INV-1O01'], counterparty: acme }),
      invoices: [invoice('INV-1001')],
    });
    expect(autoPick(sure, 0.999)).toBe(sure[0]);
    expect(autoPick([], AUTO)).toBeNull();
    const withSecond = [sure[0], { ...sure[0], key: 'other', score: 0.5 }];
    expect(autoPick(withSecond, AUTO)).toBe(sure[0]); // 0.5 is not above 0.5
    expect(autoPick([sure[0], { ...sure[0], key: 'other', score: 0.501 }], AUTO)).toBeNull();
  });
});
