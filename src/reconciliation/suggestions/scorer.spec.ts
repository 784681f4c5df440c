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
