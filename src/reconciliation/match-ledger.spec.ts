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
      { id: 'inv-INV-1', amountPaid: '1000.00', status: 'paid', previousStatus: 'pending' },
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
      { id: 'inv-INV-1', amountPaid: '0.00', status: 'pending', previousStatus: 'partially_paid' },
    ]);
    expect(ledger.changedTransactions()).toEqual([
      { id: 'a', unallocated: '600.00', matchStatus: 'unmatched' },
    ]);
    expect(() => ledger.reverse('m1', SYSTEM, 'again')).toThrow(RangeError);
  });

  it('refuses an allocation beyond what either side has', () => {
    const ledger = new MatchLedger([tx('a')], [invoice('INV-1')], []);
    expect(() => ledger.allocate('a', 'inv-INV-1', '600.01', 'manual', null)).toThrow(RangeError);
    expect(() => ledger.allocate('a', 'inv-INV-1', '0', 'manual', null)).toThrow(RangeError);
  });

  it.each<[Partial<LockedTransaction>]>([
    [{ status: 'PENDING' }],
    [{ status: 'VOIDED' }],
    [{ bank_status: 'HELD' }],
    [{ amount: null, unallocated_amount: null }],
  ])('does not match %j', (overrides) => {
    const ledger = new MatchLedger([tx('a', overrides)], [invoice('INV-1')], []);
    expect(ledger.transaction('a')).toBeUndefined();
    expect(() => ledger.decide('a')).toThrow(RangeError);
  });

  it.each<[bigint, bigint, 'pending' | 'cancelled', string]>([
    [0n, 100n, 'pending', 'pending'],
    [1n, 100n, 'pending', 'partially_paid'],
    [100n, 100n, 'pending', 'paid'],
    [0n, 100n, 'cancelled', 'cancelled'],
  ])('invoice paid %s of %s (%s) is %s', (paid, due, current, expected) => {
    expect(invoiceStatus(paid, due, current)).toBe(expected);
  });
});
