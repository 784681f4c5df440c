/**
 * The pure decision of reconciliation: which invoices a transaction pays and how much, or why it
 * cannot be allocated. The service loads rows, calls `decide` per transaction and writes the
 * result; nothing here touches I/O, so every rule of the contract is unit-testable.
 */
import { compareMoney, formatAmount, minMoney, subMoney, sumMoney, toMinor } from '../common/money';
import { writeOffRuleFor, type WriteOffReason, type WriteOffRule } from './suggestions/write-off';

export const EXCEPTION_REASONS = [
  'no_reference',
  'unknown_invoice',
  'currency_mismatch',
  'invoice_cancelled',
  'invoice_already_paid',
  'ambiguous',
  'overpayment',
  'refund',
] as const;
export type ExceptionReason = (typeof EXCEPTION_REASONS)[number];

export interface MatchTransaction {
  id: string;
  currency: string;
  amount: string;
  unallocated: string;
  direction: 'credit' | 'debit';
  /** Where an invoice number may be, most trusted first (reference before description). */
  texts: Array<string | null | undefined>;
  /** Invoices this transaction already pays: a surplus left after them is an overpayment. */
  allocatedInvoiceIds?: string[];
}

export interface MatchInvoice {
  id: string;
  number: string;
  /** `normalizeInvoiceNumber(number)`, the key of `invoicesByKey`. */
  normalized: string;
  currency: string;
  outstanding: string;
  status: 'pending' | 'partially_paid' | 'paid' | 'cancelled';
}

export interface Allocation {
  invoiceId: string;
  amount: string;
}

export interface WriteOffDecision {
  invoiceId: string;
  amount: string;
  reason: WriteOffReason;
  ruleId: string;
}

export interface Decision {
  allocations: Allocation[];
  /** The rest of a single named invoice, written off under a rule (its allocation pays it). */
  writeOff?: WriteOffDecision;
  /** null when the transaction is fully allocated or there is nothing to reconcile. */
  reason: ExceptionReason | null;
  /** Which rule decided, for the audit trail and metrics: one of `MATCH_RULES`. */
  rule: string;
}

export const MATCH_RULES = {
  ignoredDebit: 'ignored_debit',
  nothingUnallocated: 'nothing_unallocated',
  noInvoiceNamed: 'no_invoice_named',
  single: 'single',
  multi: 'multi',
  writeOff: 'write_off',
  refund: 'refund',
} as const;

/**
 * Only the start of a text is searched. Remittance fields are short in practice (ISO 20022
 * unstructured remittance is 140 characters, NIP narrations ~100), the number sits near the
 * start, and a bound keeps both the work per transaction and the number of keys the service
 * sends to the database constant, whatever a bank (or an attacker) puts in a description.
 */
export const MAX_TEXT_CHARS = 1000;

/**
 * Longest invoice number, in tokens, that text can name ("INV 2026 03 001" is four). The service
 * must look invoices up with the same value `decide` uses, hence one default for both.
 */
export const MAX_KEY_TOKENS = 4;

/** Letters, combining marks and digits of any script form a token; everything else separates. */
const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;
const ENDS_IN_TOKEN = /[\p{L}\p{M}\p{N}]$/u;
const STARTS_TOKEN = /^[\p{L}\p{M}\p{N}]/u;
const SEPARATORS = /[\s\-_/.]+/g;
/** Something that looks like an invoice number even though no invoice has it. */
const INVOICE_SHAPED = /\p{L}{2,}[\s\-_/.]?\p{N}{2,}/u;

export function normalizeInvoiceNumber(n: string): string {
  return n.toLowerCase().replace(SEPARATORS, '');
}

/**
 * Every concatenation of 1..maxTokens consecutive tokens of `text`, lower-cased, without
 * duplicates. A key is made of whole tokens only, so "INV-0011" yields "inv0011" but never
 * "inv001", while "inv 001", "INV_001" and "INV-001," all yield "inv001".
 */
export function candidateKeys(
  text: string | null | undefined,
  maxTokens = MAX_KEY_TOKENS,
): string[] {
  const keys = new Set<string>();
  forEachKey(tokenize(text), maxTokens, (key) => keys.add(key));
  return [...keys];
}

/**
 * The contract's reconciliation rules for one transaction. `invoicesByKey` holds at least the
 * invoices whose normalized number is among the transaction's `candidateKeys`; extra entries are
 * harmless. Throws RangeError on an amount or currency it cannot read exactly: rounding or
 * guessing would be worse than failing the transaction for a retry.
 */
export function decide(
  tx: MatchTransaction,
  invoicesByKey: ReadonlyMap<string, MatchInvoice>,
  writeOffRules: readonly WriteOffRule[] = [],
): Decision {
  if (tx.direction === 'debit') {
    // A debit naming an invoice that money was allocated to is a refund or chargeback: a person
    // decides (its suggestion is the reversal). Any other debit is not reconciled.
    const named = namedInvoices(tx.texts, invoicesByKey);
    const refunded = named.some((i) => i.status === 'paid' || i.status === 'partially_paid');
    return refunded
      ? outcome([], 'refund', MATCH_RULES.refund)
      : outcome([], null, MATCH_RULES.ignoredDebit);
  }
  if (toMinor(tx.unallocated, tx.currency) <= 0n) {
    return outcome([], null, MATCH_RULES.nothingUnallocated);
  }

  const named = namedInvoices(tx.texts, invoicesByKey);
  if (named.length === 0) {
    return outcome([], unnamedReason(tx.texts), MATCH_RULES.noInvoiceNamed);
  }
  if (named.length === 1) return single(tx, named[0], writeOffRules);

  const open = named.filter((invoice) => !isClosed(invoice));
  if (open.length === 0) return outcome([], closedReason(tx, named), MATCH_RULES.multi);
  if (open.length === 1) return single(tx, open[0], writeOffRules);
  if (open.some((invoice) => invoice.currency !== tx.currency)) {
    return outcome([], 'currency_mismatch', MATCH_RULES.multi);
  }
  const total = sumMoney(
    open.map((invoice) => invoice.outstanding),
    tx.currency,
  );
  if (compareMoney(tx.unallocated, total, tx.currency) !== 0) {
    return outcome([], 'ambiguous', MATCH_RULES.multi);
  }
  const allocations = sortByNumber(open).map((invoice) => ({
    invoiceId: invoice.id,
    amount: formatAmount(invoice.outstanding, tx.currency),
  }));
  return outcome(allocations, null, MATCH_RULES.multi);
}

function single(
  tx: MatchTransaction,
  invoice: MatchInvoice,
  writeOffRules: readonly WriteOffRule[],
): Decision {
  if (invoice.status === 'cancelled') {
    return outcome([], 'invoice_cancelled', MATCH_RULES.single);
  }
  if (invoice.currency !== tx.currency) {
    return outcome([], 'currency_mismatch', MATCH_RULES.single);
  }
  if (isClosed(invoice)) return outcome([], closedReason(tx, [invoice]), MATCH_RULES.single);
  const amount = minMoney(tx.unallocated, invoice.outstanding, tx.currency);
  const order = compareMoney(tx.unallocated, invoice.outstanding, tx.currency);
  if (order < 0 && writeOffRules.length > 0) {
    // Short of the outstanding amount by what a rule tolerates (a fee the bank deducted): the
    // payment settles the invoice and the difference is written off.
    const shortfall = subMoney(invoice.outstanding, tx.unallocated, tx.currency);
    const rule = writeOffRuleFor(shortfall, invoice.outstanding, tx.currency, writeOffRules);
    if (rule) {
      return {
        allocations: [{ invoiceId: invoice.id, amount }],
        writeOff: {
          invoiceId: invoice.id,
          amount: shortfall,
          reason: rule.reason,
          ruleId: rule.id,
        },
        reason: null,
        rule: MATCH_RULES.writeOff,
      };
    }
  }
  const overpaid = order > 0;
  return outcome(
    [{ invoiceId: invoice.id, amount }],
    overpaid ? 'overpayment' : null,
    MATCH_RULES.single,
  );
}

/**
 * Why nothing can go to named invoices that are all paid or cancelled. When this transaction is
 * itself what paid them, its remainder is a surplus (overpayment), not a second payment.
 */
function closedReason(tx: MatchTransaction, named: readonly MatchInvoice[]): ExceptionReason {
  const paidByThis = new Set(tx.allocatedInvoiceIds ?? []);
  const live = named.filter((invoice) => invoice.status !== 'cancelled');
  if (live.length > 0 && live.every((invoice) => paidByThis.has(invoice.id))) {
    return 'overpayment';
  }
  return named[0].status === 'cancelled' ? 'invoice_cancelled' : 'invoice_already_paid';
}

/** Paid, cancelled, or with nothing left to pay (a status lagging behind its allocations). */
function isClosed(invoice: MatchInvoice): boolean {
  return (
    invoice.status === 'paid' ||
    invoice.status === 'cancelled' ||
    toMinor(invoice.outstanding, invoice.currency) <= 0n
  );
}

function unnamedReason(texts: MatchTransaction['texts']): ExceptionReason {
  const reference = texts[0]?.trim() ?? '';
  const shaped = texts.some((text) => text && INVOICE_SHAPED.test(text.slice(0, MAX_TEXT_CHARS)));
  return reference !== '' || shaped ? 'unknown_invoice' : 'no_reference';
}

/**
 * The invoices named by the first text that names any, in order of appearance. A name inside a
 * longer name is not a name of its own: with INV-001 and INV-001-A both known, "INV-001-A"
 * names only INV-001-A.
 */
function namedInvoices(
  texts: MatchTransaction['texts'],
  invoicesByKey: ReadonlyMap<string, MatchInvoice>,
): MatchInvoice[] {
  for (const text of texts) {
    const hits: Hit[] = [];
    forEachKey(tokenize(text), MAX_KEY_TOKENS, (key, start, end) => {
      const invoice = invoicesByKey.get(key);
      if (invoice) hits.push({ start, end, invoice });
    });
    if (hits.length === 0) continue;
    const outermost = hits.filter(
      (hit) => !hits.some((other) => other !== hit && contains(other, hit)),
    );
    const seen = new Set<string>();
    const named: MatchInvoice[] = [];
    for (const { invoice } of outermost) {
      if (seen.has(invoice.id)) continue;
      seen.add(invoice.id);
      named.push(invoice);
    }
    return named;
  }
  return [];
}

interface Hit {
  /** First and last token index, inclusive. */
  start: number;
  end: number;
  invoice: MatchInvoice;
}

function contains(outer: Hit, inner: Hit): boolean {
  return (
    outer.start <= inner.start &&
    inner.end <= outer.end &&
    outer.end - outer.start > inner.end - inner.start
  );
}

function tokenize(text: string | null | undefined): string[] {
  if (!text) return [];
  if (text.length <= MAX_TEXT_CHARS) return text.toLowerCase().match(TOKEN) ?? [];
  // Never split a surrogate pair, and never keep a token the cut falls into: "...INV-0011" cut
  // to "...INV-001" must not name INV-001.
  const end = isHighSurrogate(text.charCodeAt(MAX_TEXT_CHARS - 1))
    ? MAX_TEXT_CHARS - 1
    : MAX_TEXT_CHARS;
  const head = text.slice(0, end);
  const tokens = head.toLowerCase().match(TOKEN) ?? [];
  if (ENDS_IN_TOKEN.test(head) && STARTS_TOKEN.test(text.slice(end, end + 2))) tokens.pop();
  return tokens;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Calls `visit` for each run of 1..maxTokens consecutive tokens, by first token then length, so
 * hits come out in text order. A callback rather than an array: this runs for every transaction.
 */
function forEachKey(
  tokens: readonly string[],
  maxTokens: number,
  visit: (key: string, start: number, end: number) => void,
): void {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`);
  }
  for (let start = 0; start < tokens.length; start++) {
    let key = '';
    const last = Math.min(tokens.length, start + maxTokens) - 1;
    for (let end = start; end <= last; end++) {
      key += tokens[end];
      visit(key, start, end);
    }
  }
}

function sortByNumber(invoices: readonly MatchInvoice[]): MatchInvoice[] {
  // Code-unit order, not localeCompare: the order must not depend on the server's ICU or locale.
  const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...invoices].sort((a, b) => byText(a.number, b.number) || byText(a.id, b.id));
}

function outcome(
  allocations: Allocation[],
  reason: ExceptionReason | null,
  rule: string,
): Decision {
  return { allocations, reason, rule };
}
