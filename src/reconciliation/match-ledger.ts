/**
 * The in-memory state of one matching unit of work: the locked transactions and invoices, their
 * allocations, and what changed. Pure (no I/O): the store loads it under row locks, `decide`
 * runs against it, and the store writes back only what changed, in a few set-based statements.
 * Money is held in minor units (bigint) and converted with the money helpers only.
 */
import { v7 as uuidv7 } from 'uuid';
import { fromMinor, isZeroAmount, toMinor } from '../common/money';
import type { InvoiceStatus } from '../invoices/invoice.entity';
import { decide, type Decision, type ExceptionReason, type MatchInvoice } from './matcher';
import type { WriteOffReason, WriteOffRule } from './suggestions/write-off';
import type { AllocationRule } from './transaction-match.entity';

export interface LockedTransaction {
  id: string;
  amount: string | null;
  unallocated_amount: string | null;
  currency: string | null;
  direction: 'credit' | 'debit';
  status: string;
  bank_status: string | null;
  reference: string | null;
  description: string | null;
  raw_text: string | null;
  match_status: string;
  counterparty: string | null;
  /** The payer's account: confirmed allocations teach it to the customer (party_accounts). */
  counterparty_account?: string | null;
}

export interface LockedInvoice {
  id: string;
  invoice_number: string;
  normalized_number: string;
  currency: string;
  amount_due: string;
  amount_paid: string;
  amount_written_off: string;
  customer_key: string | null;
  customer: string | null;
  status: InvoiceStatus;
}

/** A live write-off of one of the loaded allocations. */
export interface ExistingWriteOff {
  id: string;
  match_id: string;
  invoice_id: string;
  amount: string;
}

export interface NewWriteOff {
  id: string;
  matchId: string;
  invoiceId: string;
  amount: string;
  currency: string;
  reason: WriteOffReason;
  ruleId: string | null;
}

export interface ExistingMatch {
  id: string;
  transaction_id: string;
  invoice_id: string;
  amount: string;
  live: boolean;
  /** Reversed by a person: the matcher never gives this transaction to that invoice again. */
  blocking: boolean;
}

/** The actor name of automatic matching and of the bank's own changes (void, new amount). */
export const SYSTEM_ACTOR_NAME = 'system';

/** Who writes: `system` (automatic matching) or a staff key. */
export interface Actor {
  name: string;
  keyId: string | null;
}

export interface NewAllocation {
  id: string;
  transactionId: string;
  invoiceId: string;
  amount: string;
  currency: string;
  rule: AllocationRule;
  note: string | null;
}

export interface Reversal {
  matchId: string;
  actor: Actor;
  reason: string;
  /** The allocation's live write-off, reversed with it. */
  writeOff: ExistingWriteOff | null;
}

interface TxState {
  row: LockedTransaction;
  matchable: boolean;
  currency: string;
  amount: bigint;
  unallocated: bigint;
  liveInvoiceIds: Set<string>;
  /**
   * Invoices a person took this transaction's allocation away from: never re-allocated. A
   * reversal by the system (the bank withdrew or changed the transaction) blocks nothing.
   */
  blockedInvoiceIds: Set<string>;
  /** A debit that is no refund (or a refund settled): nothing to reconcile. */
  notApplicable: boolean;
  dirty: boolean;
}

interface InvoiceState {
  view: MatchInvoice;
  customerKey: string | null;
  due: bigint;
  paid: bigint;
  writtenOff: bigint;
  dirty: boolean;
  /** The status read under the lock: what this unit of work changes it from. */
  lockedStatus: InvoiceStatus;
}

function hasAmount(tx: LockedTransaction): boolean {
  return tx.amount !== null && tx.currency !== null && tx.unallocated_amount !== null;
}

/** A transaction matching may look at: settled, processed, with a known amount. */
export function isMatchable(tx: LockedTransaction): boolean {
  return (
    tx.status === 'PROCESSED' &&
    tx.bank_status !== 'HELD' &&
    hasAmount(tx) &&
    // An amount of 0 pays nothing and owes nothing: not_applicable, never an exception.
    !isZeroAmount(tx.amount as string)
  );
}

/** `settled` is what is paid plus what is written off (ck_invoices_status_paid). */
export function invoiceStatus(settled: bigint, due: bigint, current: InvoiceStatus): InvoiceStatus {
  if (current === 'cancelled') return 'cancelled';
  if (settled === 0n) return 'pending';
  return settled < due ? 'partially_paid' : 'paid';
}

function outstanding(invoice: InvoiceState): bigint {
  return invoice.due - invoice.paid - invoice.writtenOff;
}

export class MatchLedger {
  readonly newAllocations: NewAllocation[] = [];
  readonly reversals: Reversal[] = [];
  readonly newWriteOffs: NewWriteOff[] = [];
  /** Ids of write-offs reversed with their allocation. */
  readonly reversedWriteOffs: string[] = [];
  /** The exception each evaluated transaction ends with (null clears it). */
  readonly reasons = new Map<string, ExceptionReason | null>();
  private readonly txs = new Map<string, TxState>();
  private readonly invoices = new Map<string, InvoiceState>();
  private readonly byKey = new Map<string, MatchInvoice>();
  private readonly matches = new Map<string, ExistingMatch>();
  /** Live write-offs by the allocation they belong to. */
  private readonly writeOffs = new Map<string, ExistingWriteOff>();

  constructor(
    txs: LockedTransaction[],
    invoices: LockedInvoice[],
    matches: ExistingMatch[],
    writeOffs: ExistingWriteOff[] = [],
    private readonly writeOffRules: readonly WriteOffRule[] = [],
    /** Transactions an invoice one slip from their named number would fit exactly. */
    private readonly nearExact: ReadonlySet<string> = new Set(),
  ) {
    for (const row of txs) {
      if (!hasAmount(row)) continue;
      const currency = row.currency as string;
      this.txs.set(row.id, {
        row,
        matchable: isMatchable(row),
        currency,
        amount: toMinor(row.amount as string, currency),
        unallocated: toMinor(row.unallocated_amount as string, currency),
        liveInvoiceIds: new Set(),
        blockedInvoiceIds: new Set(),
        notApplicable: false,
        dirty: false,
      });
    }
    for (const row of invoices) {
      const due = toMinor(row.amount_due, row.currency);
      const paid = toMinor(row.amount_paid, row.currency);
      const writtenOff = toMinor(row.amount_written_off, row.currency);
      const view: MatchInvoice = {
        id: row.id,
        number: row.invoice_number,
        normalized: row.normalized_number,
        currency: row.currency,
        outstanding: fromMinor(due - paid - writtenOff, row.currency),
        status: row.status,
        customer: row.customer,
      };
      this.invoices.set(row.id, {
        view,
        customerKey: row.customer_key,
        due,
        paid,
        writtenOff,
        dirty: false,
        lockedStatus: row.status,
      });
      this.byKey.set(row.normalized_number, view);
    }
    for (const match of matches) {
      this.matches.set(match.id, match);
      const tx = this.txs.get(match.transaction_id);
      if (!tx) continue;
      if (match.live) tx.liveInvoiceIds.add(match.invoice_id);
      else if (match.blocking) tx.blockedInvoiceIds.add(match.invoice_id);
    }
    for (const writeOff of writeOffs) this.writeOffs.set(writeOff.match_id, writeOff);
  }

  /** The transaction if it is matchable (PROCESSED, not HELD, amount known). */
  transaction(id: string): LockedTransaction | undefined {
    const tx = this.txs.get(id);
    return tx?.matchable ? tx.row : undefined;
  }

  invoice(id: string): MatchInvoice | undefined {
    return this.invoices.get(id)?.view;
  }

  match(id: string): ExistingMatch | undefined {
    return this.matches.get(id);
  }

  unallocated(txId: string): string {
    const tx = this.requireTx(txId);
    return fromMinor(tx.unallocated, tx.currency);
  }

  /** Applies the contract's rules to what is left of a matchable transaction. */
  decide(txId: string): Decision {
    const tx = this.requireTx(txId);
    if (!tx.matchable) throw new RangeError(`transaction ${txId} is not matchable`);
    let invoicesByKey: ReadonlyMap<string, MatchInvoice> = this.byKey;
    if (tx.blockedInvoiceIds.size > 0) {
      invoicesByKey = new Map(
        [...this.byKey].filter(([, inv]) => !tx.blockedInvoiceIds.has(inv.id)),
      );
    }
    const decision = decide(
      {
        id: tx.row.id,
        currency: tx.currency,
        amount: fromMinor(tx.amount, tx.currency),
        unallocated: fromMinor(tx.unallocated, tx.currency),
        direction: tx.row.direction,
        texts: [tx.row.reference, tx.row.description, tx.row.raw_text],
        allocatedInvoiceIds: [...tx.liveInvoiceIds],
        counterparty: tx.row.counterparty,
        nearExactAmount: this.nearExact.has(txId),
      },
      invoicesByKey,
      this.writeOffRules,
    );
    const rule: AllocationRule =
      decision.rule === 'multi' ? 'multi' : decision.rule === 'write_off' ? 'write_off' : 'single';
    for (const allocation of decision.allocations) {
      const made = this.allocate(txId, allocation.invoiceId, allocation.amount, rule, null);
      const off = decision.writeOff;
      if (off?.invoiceId === allocation.invoiceId) {
        this.writeOff(made, off.amount, off.reason, off.ruleId);
      }
    }
    this.reasons.set(txId, decision.reason);
    if (tx.row.direction === 'debit') this.setNotApplicable(txId, decision.reason === null);
    return decision;
  }

  /** Debits: nothing to reconcile (true), or a refund exception to work (false). */
  setNotApplicable(txId: string, value: boolean): void {
    const tx = this.requireTx(txId);
    if (
      tx.notApplicable !== value ||
      tx.row.match_status !== (value ? 'not_applicable' : 'unmatched')
    ) {
      tx.notApplicable = value;
      tx.dirty = true;
    }
  }

  /** Records an allocation; the caller has checked currency and limits (the CHECKs re-check). */
  allocate(
    txId: string,
    invoiceId: string,
    amount: string,
    rule: AllocationRule,
    note: string | null,
  ): NewAllocation {
    const tx = this.requireTx(txId);
    const invoice = this.requireInvoice(invoiceId);
    if (!tx.matchable) throw new RangeError(`transaction ${txId} is not matchable`);
    const minor = toMinor(amount, tx.currency);
    if (minor <= 0n || minor > tx.unallocated || minor > outstanding(invoice)) {
      throw new RangeError(`allocation ${amount} exceeds what ${txId} or ${invoiceId} allows`);
    }
    tx.unallocated -= minor;
    tx.liveInvoiceIds.add(invoiceId);
    tx.dirty = true;
    this.setAmounts(invoice, invoice.paid + minor, invoice.writtenOff);
    const allocation: NewAllocation = {
      // Time-ordered ids (UUIDv7, like the audit entries' own): the allocations' primary key and
      // the audit log's entity index grow at their right edge, where a random id would touch
      // another index page for every row of a run (bench/RESULTS.md, audit write).
      id: uuidv7(),
      transactionId: txId,
      invoiceId,
      amount: fromMinor(minor, tx.currency),
      currency: tx.currency,
      rule,
      note,
    };
    this.newAllocations.push(allocation);
    return allocation;
  }

  /**
   * Writes off `amount` of the invoice an allocation made in this unit of work pays: at most what
   * is still outstanding after it. Reversing the allocation later reverses the write-off.
   */
  writeOff(
    allocation: NewAllocation,
    amount: string,
    reason: WriteOffReason,
    ruleId: string | null,
  ): NewWriteOff {
    const invoice = this.requireInvoice(allocation.invoiceId);
    const minor = toMinor(amount, allocation.currency);
    if (minor <= 0n || minor > outstanding(invoice)) {
      throw new RangeError(`write-off ${amount} exceeds what ${allocation.invoiceId} has left`);
    }
    this.setAmounts(invoice, invoice.paid, invoice.writtenOff + minor);
    const writeOff: NewWriteOff = {
      id: uuidv7(),
      matchId: allocation.id,
      invoiceId: allocation.invoiceId,
      amount: fromMinor(minor, allocation.currency),
      currency: allocation.currency,
      reason,
      ruleId,
    };
    this.newWriteOffs.push(writeOff);
    return writeOff;
  }

  /** Marks a live allocation reversed: its amount goes back to the transaction and invoice. */
  reverse(matchId: string, actor: Actor, reason: string): void {
    const match = this.matches.get(matchId);
    if (!match?.live) throw new RangeError(`allocation ${matchId} is not live`);
    const invoice = this.requireInvoice(match.invoice_id);
    const minor = toMinor(match.amount, invoice.view.currency);
    const tx = this.txs.get(match.transaction_id);
    if (tx) {
      tx.unallocated += minor;
      tx.liveInvoiceIds.delete(match.invoice_id);
      if (actor.name !== SYSTEM_ACTOR_NAME) tx.blockedInvoiceIds.add(match.invoice_id);
      tx.dirty = true;
    }
    const writeOff = this.writeOffs.get(matchId);
    let writtenOff = invoice.writtenOff;
    if (writeOff) {
      writtenOff -= toMinor(writeOff.amount, invoice.view.currency);
      this.reversedWriteOffs.push(writeOff.id);
      this.writeOffs.delete(matchId);
    }
    this.setAmounts(invoice, invoice.paid - minor, writtenOff);
    match.live = false;
    match.blocking = actor.name !== SYSTEM_ACTOR_NAME;
    this.reversals.push({ matchId, actor, reason, writeOff: writeOff ?? null });
  }

  liveMatchIds(txId: string): string[] {
    return [...this.matches.values()]
      .filter((m) => m.live && m.transaction_id === txId)
      .map((m) => m.id);
  }

  changedTransactions(): Array<{ id: string; unallocated: string; matchStatus: string }> {
    return [...this.txs.values()]
      .filter((tx) => tx.dirty)
      .map((tx) => ({
        id: tx.row.id,
        unallocated: fromMinor(tx.unallocated, tx.currency),
        matchStatus: tx.notApplicable
          ? 'not_applicable'
          : tx.unallocated === 0n
            ? 'matched'
            : tx.unallocated < tx.amount
              ? 'partially_allocated'
              : 'unmatched',
      }));
  }

  changedInvoices(): Array<{
    id: string;
    amountPaid: string;
    amountWrittenOff: string;
    status: InvoiceStatus;
    previousStatus: InvoiceStatus;
  }> {
    return [...this.invoices.values()]
      .filter((inv) => inv.dirty)
      .map((inv) => ({
        id: inv.view.id,
        amountPaid: fromMinor(inv.paid, inv.view.currency),
        amountWrittenOff: fromMinor(inv.writtenOff, inv.view.currency),
        status: inv.view.status,
        previousStatus: inv.lockedStatus,
      }));
  }

  /** The customer of an invoice loaded here (for learning who pays whom). */
  customerKey(invoiceId: string): string | null {
    return this.invoices.get(invoiceId)?.customerKey ?? null;
  }

  private setAmounts(invoice: InvoiceState, paid: bigint, writtenOff: bigint): void {
    invoice.paid = paid;
    invoice.writtenOff = writtenOff;
    invoice.view.outstanding = fromMinor(outstanding(invoice), invoice.view.currency);
    invoice.view.status = invoiceStatus(paid + writtenOff, invoice.due, invoice.view.status);
    invoice.dirty = true;
  }

  private requireTx(id: string): TxState {
    const tx = this.txs.get(id);
    if (!tx) throw new RangeError(`transaction ${id} is not locked in this unit of work`);
    return tx;
  }

  private requireInvoice(id: string): InvoiceState {
    const invoice = this.invoices.get(id);
    if (!invoice) throw new RangeError(`invoice ${id} is not locked in this unit of work`);
    return invoice;
  }
}
