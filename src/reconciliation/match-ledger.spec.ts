import { normalizeInvoiceNumber } from './matcher';
import {
  type ExistingMatch,
  invoiceStatus,
  type LockedInvoice,
  type LockedTransaction,
  MatchLedger,
} from './match-ledger';

const SYSTEM = { name: 'system', keyId: null };

function tx(id: string, overrides: Partial<LockedTransaction> = {}): LockedTransaction {
  return {
    id,
    amount: '600.0000',
    unallocated_amount: '600.0000',
    currency: 'NGN',
    direction: 'credit',
    status: 'PROCESSED',
    bank_status: null,
    reference: 'INV-1',
    description: null,
    raw_text: null,
    match_status: 'unmatched',
    ...overrides,
  };
}

function invoice(number: string, overrides: Partial<LockedInvoice> = {}): LockedInvoice {
  return {
    id: `inv-${number}`,
    invoice_number: number,
    normalized_number: normalizeInvoiceNumber(number),
    currency: 'NGN',
    amount_due: '1000.0000',
    amount_paid: '0.0000',
    amount_written_off: '0.0000',
    customer_key: null,
    status: 'pending',
    ...overrides,
  };
}

/** Transaction a's live allocation m1 of 600 to INV-1. */
const liveMatch = (): ExistingMatch => ({
  id: 'm1',
  transaction_id: 'a',
  invoice_id: 'inv-INV-1',
  amount: '600.0000',
  live: true,
  blocking: false,
});

describe('MatchLedger', () => {
  it('lets later transactions of a batch see what earlier ones allocated', () => {
    const ledger = new MatchLedger([tx('a'), tx('b')], [invoice('INV-1')], []);
    ledger.decide('a');
    const second = ledger.decide('b');
    expect(second).toMatchObject({
      allocations: [{ invoiceId: 'inv-INV-1', amount: '400.00' }],
      reason: 'overpayment',
    });
    expect(ledger.changedInvoices()).toEqual([
      {
        id: 'inv-INV-1',
        amountPaid: '1000.00',
        amountWrittenOff: '0.00',
        status: 'paid',
        previousStatus: 'pending',
      },
    ]);
    expect(ledger.changedTransactions()).toEqual([
      { id: 'a', unallocated: '0.00', matchStatus: 'matched' },
      { id: 'b', unallocated: '200.00', matchStatus: 'partially_allocated' },
    ]);
    expect(ledger.reasons).toEqual(
      new Map([
        ['a', null],
        ['b', 'overpayment'],
      ]),
    );
  });

  it('lists only the transactions and invoices it changed', () => {
    const ledger = new MatchLedger(
      [tx('a'), tx('b', { reference: 'no invoice' })],
      [invoice('INV-1'), invoice('INV-2')],
      [],
    );
    ledger.decide('a');
    ledger.decide('b');
    expect(ledger.changedTransactions().map((t) => t.id)).toEqual(['a']);
    expect(ledger.changedInvoices().map((i) => i.id)).toEqual(['inv-INV-1']);
    expect(ledger.reasons).toEqual(
      new Map([
        ['a', null],
        ['b', 'unknown_invoice'],
      ]),
    );
  });

  it('gives an invoice paid in part before this unit of work only what it still owes', () => {
    const ledger = new MatchLedger(
      [tx('a', { amount: '1000.0000', unallocated_amount: '1000.0000' })],
      [invoice('INV-1', { amount_paid: '400.0000', status: 'partially_paid' })],
      [],
    );
    expect(ledger.invoice('inv-INV-1')?.outstanding).toBe('600.00');
    expect(ledger.decide('a')).toMatchObject({
      allocations: [{ invoiceId: 'inv-INV-1', amount: '600.00' }],
      reason: 'overpayment',
    });
  });

  it('records which rule allocated: single or multi', () => {
    const ledger = new MatchLedger(
      [
        tx('a', { amount: '1000.0000', unallocated_amount: '1000.0000' }),
        tx('b', { amount: '2000.0000', unallocated_amount: '2000.0000', reference: 'INV-2 INV-3' }),
      ],
      [invoice('INV-1'), invoice('INV-2'), invoice('INV-3')],
      [],
    );
    ledger.decide('a');
    ledger.decide('b');
    expect(ledger.newAllocations.map(({ invoiceId, rule }) => [invoiceId, rule])).toEqual([
      ['inv-INV-1', 'single'],
      ['inv-INV-2', 'multi'],
      ['inv-INV-3', 'multi'],
    ]);
  });

  it('knows the invoices a transaction already pays: its surplus is an overpayment', () => {
    const ledger = new MatchLedger(
      [tx('a', { unallocated_amount: '100.0000', amount: '1100.0000' })],
      [invoice('INV-1', { amount_paid: '1000.0000', status: 'paid' })],
      [{ ...liveMatch(), amount: '1000.0000' }],
    );
    expect(ledger.decide('a')).toMatchObject({ allocations: [], reason: 'overpayment' });
  });

  it('never re-allocates a pair that was reversed', () => {
    const reversed: ExistingMatch = {
      id: 'm1',
      transaction_id: 'a',
      invoice_id: 'inv-INV-1',
      amount: '600.0000',
      live: false,
      blocking: true,
    };
    const ledger = new MatchLedger([tx('a')], [invoice('INV-1')], [reversed]);
    expect(ledger.decide('a')).toMatchObject({ allocations: [], reason: 'unknown_invoice' });
    expect(ledger.newAllocations).toEqual([]);

    // Blocked from INV-1, the transaction still pays another invoice it names.
    const both = new MatchLedger(
      [tx('a', { reference: 'INV-1 INV-2' })],
      [invoice('INV-1'), invoice('INV-2')],
      [reversed],
    );
    expect(both.decide('a')).toMatchObject({
      allocations: [{ invoiceId: 'inv-INV-2', amount: '600.00' }],
      reason: null,
    });

    // Reversed by the system (loaded as not blocking): allocated again.
    const bySystem = new MatchLedger(
      [tx('a')],
      [invoice('INV-1')],
      [{ ...reversed, blocking: false }],
    );
    expect(bySystem.decide('a').allocations).toEqual([
      { invoiceId: 'inv-INV-1', amount: '600.00' },
    ]);
  });

  it('re-allocates a pair the system reversed (the bank changed the amount), not one a person did', () => {
    const ledger = (): MatchLedger =>
      new MatchLedger(
        [tx('a', { unallocated_amount: '0.0000' })],
        [invoice('INV-1', { amount_paid: '600.0000', status: 'partially_paid' })],
        [liveMatch()],
      );
    const bySystem = ledger();
    bySystem.reverse('m1', SYSTEM, 'amount changed by the bank');
    expect(bySystem.decide('a').allocations).toEqual([
      expect.objectContaining({ invoiceId: 'inv-INV-1' }),
    ]);
    const byPerson = ledger();
    byPerson.reverse('m1', { name: 'ops-alice', keyId: null }, 'wrong invoice');
    expect(byPerson.decide('a').allocations).toEqual([]);
    expect(bySystem.match('m1')).toMatchObject({ live: false, blocking: false });
    expect(byPerson.match('m1')).toMatchObject({ live: false, blocking: true });
  });

  it('reverses a live allocation back onto both sides', () => {
    const live = liveMatch();
    const ledger = new MatchLedger(
      [tx('a', { unallocated_amount: '0.0000' })],
      [invoice('INV-1', { amount_paid: '600.0000', status: 'partially_paid' })],
      [live],
    );
    ledger.reverse('m1', SYSTEM, 'deleted by bank');
    expect(ledger.changedInvoices()).toEqual([
      {
        id: 'inv-INV-1',
        amountPaid: '0.00',
        amountWrittenOff: '0.00',
        status: 'pending',
        previousStatus: 'partially_paid',
      },
    ]);
    expect(ledger.changedTransactions()).toEqual([
      { id: 'a', unallocated: '600.00', matchStatus: 'unmatched' },
    ]);
    expect(() => ledger.reverse('m1', SYSTEM, 'again')).toThrow(
      new RangeError('allocation m1 is not live'),
    );
  });

  it("lists a transaction's live allocations", () => {
    const other: ExistingMatch = { ...liveMatch(), id: 'm2', transaction_id: 'b' };
    const gone: ExistingMatch = { ...liveMatch(), id: 'm3', live: false };
    const ledger = new MatchLedger(
      [tx('a', { unallocated_amount: '0.0000' }), tx('b', { unallocated_amount: '0.0000' })],
      [invoice('INV-1', { amount_due: '2000.0000', amount_paid: '1200.0000' })],
      [liveMatch(), other, gone],
    );
    expect(ledger.liveMatchIds('a')).toEqual(['m1']);
    ledger.reverse('m1', SYSTEM, 'deleted by bank');
    expect(ledger.liveMatchIds('a')).toEqual([]);
    expect(ledger.liveMatchIds('b')).toEqual(['m2']);
  });

  it('refuses to touch rows it did not lock', () => {
    const ledger = new MatchLedger([tx('a')], [invoice('INV-1')], []);
    expect(() => ledger.unallocated('z')).toThrow(
      new RangeError('transaction z is not locked in this unit of work'),
    );
    expect(() => ledger.allocate('a', 'inv-z', '1', 'manual', null)).toThrow(
      new RangeError('invoice inv-z is not locked in this unit of work'),
    );
  });

  it('refuses an allocation beyond what either side has', () => {
    const ledger = new MatchLedger(
      [tx('a')],
      [invoice('INV-1'), invoice('INV-2', { amount_paid: '500.0000', status: 'partially_paid' })],
      [],
    );
    const refused = (invoiceId: string, amount: string) =>
      new RangeError(`allocation ${amount} exceeds what a or ${invoiceId} allows`);
    expect(() => ledger.allocate('a', 'inv-INV-1', '600.01', 'manual', null)).toThrow(
      refused('inv-INV-1', '600.01'),
    );
    expect(() => ledger.allocate('a', 'inv-INV-1', '0', 'manual', null)).toThrow(
      refused('inv-INV-1', '0'),
    );
    // Within the transaction's 600 but over the 500 INV-2 still owes.
    expect(() => ledger.allocate('a', 'inv-INV-2', '500.01', 'manual', null)).toThrow(
      refused('inv-INV-2', '500.01'),
    );
    expect(ledger.allocate('a', 'inv-INV-2', '500.00', 'manual', null).amount).toBe('500.00');
    expect(ledger.newAllocations).toHaveLength(1);
  });

  it.each<[Partial<LockedTransaction>]>([
    [{ status: 'PENDING' }],
    [{ status: 'VOIDED' }],
    [{ bank_status: 'HELD' }],
    [{ amount: null, unallocated_amount: null }],
    [{ amount: null }],
    [{ currency: null }],
    [{ unallocated_amount: null }],
  ])('does not match %j', (overrides) => {
    const ledger = new MatchLedger([tx('a', overrides)], [invoice('INV-1')], []);
    expect(ledger.transaction('a')).toBeUndefined();
    expect(() => ledger.decide('a')).toThrow(RangeError);
  });

  it.each<[Partial<LockedTransaction>]>([
    [{ status: 'PENDING' }],
    [{ bank_status: 'HELD' }],
    // An amount of 0 (Up books them) is not_applicable: never decided, never an exception.
    [{ amount: '0.0000', unallocated_amount: '0.0000' }],
  ])('refuses to decide or allocate %j, even naming no invoice', (overrides) => {
    const ledger = new MatchLedger(
      [tx('a', overrides), tx('b', { ...overrides, reference: 'no invoice' })],
      [invoice('INV-1')],
      [],
    );
    expect(() => ledger.decide('b')).toThrow(new RangeError('transaction b is not matchable'));
    expect(() => ledger.allocate('a', 'inv-INV-1', '1', 'manual', null)).toThrow(
      new RangeError('transaction a is not matchable'),
    );
    expect(ledger.newAllocations).toEqual([]);
  });

  it.each<[bigint, bigint, 'pending' | 'cancelled', string]>([
    [0n, 100n, 'pending', 'pending'],
    [1n, 100n, 'pending', 'partially_paid'],
    [100n, 100n, 'pending', 'paid'],
    [0n, 100n, 'cancelled', 'cancelled'],
  ])('invoice paid %s of %s (%s) is %s', (paid, due, current, expected) => {
    expect(invoiceStatus(paid, due, current)).toBe(expected);
  });

  describe('write-offs', () => {
    const fees = {
      id: 'rule-1',
      name: 'Bank fees',
      currency: 'NGN',
      maxAmount: '50.00',
      maxPercent: null,
      reason: 'bank_fee' as const,
    };

    it('settles an invoice short by what a rule allows, and writes the rest off', () => {
      const ledger = new MatchLedger(
        [tx('a', { amount: '970.0000', unallocated_amount: '970.0000' })],
        [invoice('INV-1')],
        [],
        [],
        [fees],
      );
      expect(ledger.decide('a')).toMatchObject({ rule: 'write_off', reason: null });
      expect(ledger.newAllocations).toMatchObject([{ amount: '970.00', rule: 'write_off' }]);
      expect(ledger.newWriteOffs).toMatchObject([
        { invoiceId: 'inv-INV-1', amount: '30.00', reason: 'bank_fee', ruleId: 'rule-1' },
      ]);
      expect(ledger.changedInvoices()).toEqual([
        {
          id: 'inv-INV-1',
          amountPaid: '970.00',
          amountWrittenOff: '30.00',
          status: 'paid',
          previousStatus: 'pending',
        },
      ]);
    });

    it('leaves a larger shortfall a partial payment', () => {
      const ledger = new MatchLedger(
        [tx('a', { amount: '900.0000', unallocated_amount: '900.0000' })],
        [invoice('INV-1')],
        [],
        [],
        [fees],
      );
      expect(ledger.decide('a')).toMatchObject({ rule: 'single', reason: null });
      expect(ledger.newWriteOffs).toEqual([]);
      expect(ledger.changedInvoices()[0]).toMatchObject({ status: 'partially_paid' });
    });

    it('reverses the write-off with its allocation', () => {
      const ledger = new MatchLedger(
        [tx('a', { amount: '970.0000', unallocated_amount: '0.0000' })],
        [
          invoice('INV-1', {
            amount_paid: '970.0000',
            amount_written_off: '30.0000',
            status: 'paid',
          }),
        ],
        [{ ...liveMatch(), amount: '970.0000' }],
        [{ id: 'w1', match_id: 'm1', invoice_id: 'inv-INV-1', amount: '30.0000' }],
      );
      ledger.reverse('m1', { name: 'ops', keyId: null }, 'wrong invoice');
      expect(ledger.reversedWriteOffs).toEqual(['w1']);
      expect(ledger.changedInvoices()).toEqual([
        {
          id: 'inv-INV-1',
          amountPaid: '0.00',
          amountWrittenOff: '0.00',
          status: 'pending',
          previousStatus: 'paid',
        },
      ]);
    });
  });
});
