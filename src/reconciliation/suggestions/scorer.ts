/**
 * Suggestions for what the exact rules could not decide: candidate allocations, each scored from
 * its evidence (reference, amount, party, date, currency), best first. Pure: the service loads the
 * transaction and every invoice that could be a candidate (set-based), calls `suggest`, stores
 * the answer, and applies the best one automatically only when `autoPick` says so.
 *
 * The score is a naive-Bayes log-odds sum: a prior (most invoices are not what a transaction
 * pays) plus one log-likelihood ratio per factor, mapped to 0..1 by the logistic function. Each
 * factor's contribution is a constant of `LLR`, named and documented there, so the evidence a
 * person reads is exactly what the score was made of.
 */
import { compareMoney, formatAmount, subMoney, toMinor } from '../../common/money';
import { candidateKeys, type MatchInvoice } from '../matcher';
import { isNearCandidate, nearKind } from './near-reference';
import { maskAccount, normalizeAccount, partyKey, partySimilarity } from './party';
import { findSubsets, MAX_PARTY_INVOICES } from './subset-sum';
import { writeOffRuleFor, type WriteOffReason, type WriteOffRule } from './write-off';

export const MAX_SUGGESTIONS = 5;
/** Below this a candidate is noise, not a suggestion. */
export const MIN_SUGGESTION_SCORE = 0.1;
/** Automatic matching: nothing else of the transaction may score above this. */
export const CLOSE_SECOND_SCORE = 0.5;
/** Names at least this alike are the same party. */
export const PARTY_NAME_MATCH = 0.8;

/**
 * Log-likelihood ratios (natural log) of each finding. Set so that no single factor but an exact
 * reference reaches the automatic threshold (0.95 is a logit of 2.94): a misread reference (O/0,
 * I/1) needs the exact amount too; a reference one typo away needs the amount and the party
 * ("TOK-11" paying TOK-1's exact amount is a coincidence as often as a typo: sequential numbers
 * sit one digit apart); an amount needs the party and the date, and a set of invoices never gets
 * there without a reference. A reference that points to another invoice weighs about as much against a
 * candidate as an exact amount and the party weigh for it: the text is the payer's own word.
 */
export const LLR = {
  prior: -3,
  reference: { exact: 6, confusable: 4.2, oneEdit: 2.5, pointsElsewhere: -3.5 },
  amount: { exact: 3, writeOff: 2, setExact: 2.2, partial: -1, over: -2 },
  party: { knownAccount: 2.5, sameName: 2.2, similarName: 1.2, otherName: -1.5 },
  date: { beforeInvoice: -1.5, nearDue: 0.3, stale: -0.5 },
} as const;

export type SuggestionKind = 'near_reference' | 'named' | 'amount' | 'split' | 'refund';
export type Factor = 'reference' | 'amount' | 'party' | 'date' | 'currency';
export interface FactorEvidence {
  score: number;
  detail: string;
}
export type Evidence = Record<Factor, FactorEvidence>;

export interface SuggestTransaction {
  id: string;
  currency: string;
  direction: 'credit' | 'debit';
  amount: string;
  /** What is left to allocate (credits); the amount itself for debits. */
  unallocated: string;
  /** Reference first, then description, as for the matcher. */
  texts: Array<string | null | undefined>;
  counterparty: string | null;
  counterpartyAccount: string | null;
  occurredAt: Date | null;
}

export interface SuggestInvoice extends MatchInvoice {
  customer: string | null;
  dueDate: string | null;
  createdAt: Date;
  /** Accounts that paid this invoice's customer in confirmed matches. */
  knownAccounts: readonly string[];
}

/** A live allocation of an invoice the debit names: what a refund would reverse. */
export interface PaidAllocation {
  matchId: string;
  invoiceId: string;
  amount: string;
}

export interface SuggestInput {
  tx: SuggestTransaction;
  /** Every invoice that could be a candidate; others are harmless. */
  invoices: readonly SuggestInvoice[];
  rules: readonly WriteOffRule[];
  allocations: readonly PaidAllocation[];
  /** Keys of candidates declined for this transaction. */
  declined: ReadonlySet<string>;
  /** Invoices a person took this transaction's allocation away from: never proposed again. */
  blocked?: ReadonlySet<string>;
}

export interface Suggestion {
  /** Stable identity of the candidate: the same allocations give the same key. */
  key: string;
  kind: SuggestionKind;
  score: number;
  invoices: Array<{ invoiceId: string; invoiceNumber: string; amount: string }>;
  writeOff: { amount: string; reason: WriteOffReason; ruleId: string } | null;
  reversalOf: string | null;
  evidence: Evidence;
}

export function suggest(input: SuggestInput): Suggestion[] {
  const candidates = input.tx.direction === 'debit' ? refunds(input) : credits(input);
  const best = new Map<string, Suggestion>();
  for (const c of candidates) {
    if (input.declined.has(c.key) || c.score < MIN_SUGGESTION_SCORE) continue;
    const seen = best.get(c.key);
    if (!seen || c.score > seen.score) best.set(c.key, c);
  }
  return [...best.values()]
    .sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, MAX_SUGGESTIONS);
}

/**
 * The suggestion the system may apply by itself, or null: at least `threshold`, no other candidate
 * of the transaction above `CLOSE_SECOND_SCORE`, and never a refund (a reversal takes money back
 * from an invoice; a person decides that). `ranked` is `suggest`'s answer, best first, and must be
 * complete for the guard to mean anything: `suggest` keeps every candidate above 0.5 unless there
 * are more than `MAX_SUGGESTIONS`, and then the second is above 0.5 too.
 */
export function autoPick(
  ranked: readonly Suggestion[],
  threshold: number | null,
): Suggestion | null {
  if (threshold === null || ranked.length === 0) return null;
  const [top, second] = ranked;
  if (top.kind === 'refund' || top.score < threshold) return null;
  if (second && second.score > CLOSE_SECOND_SCORE) return null;
  return top;
}

function credits(input: SuggestInput): Suggestion[] {
  const { tx } = input;
  const left = toMinor(tx.unallocated, tx.currency);
  if (left <= 0n) return [];
  const keys = textKeys(tx.texts);
  const named = new Set(input.invoices.filter((i) => keys.has(i.normalized)).map((i) => i.id));
  const blocked = input.blocked ?? new Set<string>();
  // Outstanding in minor units, read once per invoice: the amount and set searches compare them.
  const owed = new Map<string, bigint>();
  const open = input.invoices.filter((i) => {
    if (i.currency !== tx.currency || blocked.has(i.id)) return false;
    if (i.status !== 'pending' && i.status !== 'partially_paid') return false;
    const minor = toMinor(i.outstanding, tx.currency);
    owed.set(i.id, minor);
    return minor > 0n;
  });
  const out: Suggestion[] = [];

  const nearKeys = [...keys].filter(isNearCandidate);
  const referenced = new Map<string, ReferenceFinding>();
  for (const invoice of open) {
    const finding = named.has(invoice.id)
      ? ({ kind: 'exact' } as const)
      : nearestReference(nearKeys, invoice);
    if (finding) referenced.set(invoice.id, finding);
  }
  // What the text points to, for candidates it does not point to: named invoices that are closed
  // count too ("pays INV-7 again?"), so the reference speaks against every other candidate.
  const pointedTo = input.invoices.filter((i) => named.has(i.id) || referenced.has(i.id));
  const noReference = otherReference(tx, pointedTo);

  // The party finding depends on the invoice's customer and the accounts known to pay it only:
  // found once per customer, not once per invoice (a payer's candidates are mostly its own).
  const byCustomer = new Map<string, PartyFinding>();
  const partyOf = (invoice: SuggestInvoice): PartyFinding => {
    const key = `${invoice.customer ?? ''}\u0000${invoice.knownAccounts.join('\u0000')}`;
    let finding = byCustomer.get(key);
    if (!finding) {
      finding = partyEvidence(tx, [invoice]);
      byCustomer.set(key, finding);
    }
    return finding;
  };
  for (const invoice of open) {
    const finding = referenced.get(invoice.id);
    if (finding) {
      const kind = finding.kind === 'exact' ? 'named' : 'near_reference';
      out.push(single(input, invoice, kind, referenceEvidence(finding, invoice), partyOf(invoice)));
    } else if (owed.get(invoice.id) === left && partyOf(invoice).match) {
      out.push(single(input, invoice, 'amount', noReference, partyOf(invoice)));
    }
  }

  // Several invoices of one party, no reference: sets whose outstanding amounts sum exactly.
  for (const group of partyGroups(open, partyOf)) {
    const items = group
      .slice(0, MAX_PARTY_INVOICES)
      .map((i) => ({ id: i.id, minor: owed.get(i.id)! }));
    const found = findSubsets(left, items);
    if (!found.complete) continue; // an incomplete search cannot vouch that there is no second set
    const byId = new Map(group.map((i) => [i.id, i]));
    for (const ids of found.sets) {
      const invoices = ids.map((id) => byId.get(id)!);
      out.push(split(input, invoices, noReference));
    }
  }
  return out;
}

function single(
  input: SuggestInput,
  invoice: SuggestInvoice,
  kind: SuggestionKind,
  reference: Scored,
  party: PartyFinding,
): Suggestion {
  const { tx } = input;
  const outstanding = formatAmount(invoice.outstanding, tx.currency);
  const paid = formatAmount(tx.unallocated, tx.currency);
  const order = compareMoney(paid, outstanding, tx.currency);
  let amount: Scored;
  let writeOff: Suggestion['writeOff'] = null;
  let allocated = paid;
  if (order === 0) {
    amount = scored(
      LLR.amount.exact,
      1,
      `pays the outstanding ${outstanding} ${tx.currency} exactly`,
    );
  } else if (order > 0) {
    allocated = outstanding;
    const surplus = subMoney(paid, outstanding, tx.currency);
    amount = scored(
      LLR.amount.over,
      0.2,
      `pays ${surplus} ${tx.currency} more than the outstanding ${outstanding}`,
    );
  } else {
    const shortfall = subMoney(outstanding, paid, tx.currency);
    const rule = writeOffRuleFor(shortfall, outstanding, tx.currency, input.rules);
    if (rule) {
      writeOff = { amount: shortfall, reason: rule.reason, ruleId: rule.id };
      amount = scored(
        LLR.amount.writeOff,
        0.8,
        `short of the outstanding ${outstanding} by ${shortfall} ${tx.currency}, within write-off rule "${rule.name}" (${rule.reason})`,
      );
    } else {
      amount = scored(
        LLR.amount.partial,
        0.4,
        `pays ${paid} of the outstanding ${outstanding} ${tx.currency}`,
      );
    }
  }
  return {
    key: candidateKey([invoice.id], writeOff !== null, null),
    kind,
    ...combine(tx, [invoice], reference, amount, party),
    invoices: [{ invoiceId: invoice.id, invoiceNumber: invoice.number, amount: allocated }],
    writeOff,
    reversalOf: null,
  };
}

function split(input: SuggestInput, invoices: SuggestInvoice[], reference: Scored): Suggestion {
  const { tx } = input;
  const sorted = [...invoices].sort((a, b) =>
    a.number < b.number ? -1 : a.number > b.number ? 1 : 0,
  );
  const amount = scored(
    LLR.amount.setExact,
    0.9,
    `${sorted.length} open invoices of ${sorted[0].customer ?? 'the payer'} (${sorted
      .map((i) => i.number)
      .join(', ')}) sum to ${formatAmount(tx.unallocated, tx.currency)} ${tx.currency} exactly`,
  );
  return {
    key: candidateKey(
      sorted.map((i) => i.id),
      false,
      null,
    ),
    kind: 'split',
    ...combine(tx, sorted, reference, amount, partyEvidence(tx, sorted)),
    invoices: sorted.map((i) => ({
      invoiceId: i.id,
      invoiceNumber: i.number,
      amount: formatAmount(i.outstanding, tx.currency),
    })),
    writeOff: null,
    reversalOf: null,
  };
}

/** A debit naming an invoice that has allocations: a refund or chargeback of one of them. */
function refunds(input: SuggestInput): Suggestion[] {
  const { tx } = input;
  const keys = textKeys(tx.texts);
  const byId = new Map(input.invoices.map((i) => [i.id, i]));
  const out: Suggestion[] = [];
  for (const allocation of input.allocations) {
    const invoice = byId.get(allocation.invoiceId);
    if (!invoice || !keys.has(invoice.normalized) || invoice.currency !== tx.currency) continue;
    const allocated = formatAmount(allocation.amount, tx.currency);
    const debit = formatAmount(tx.amount, tx.currency);
    const order = compareMoney(debit, allocated, tx.currency);
    const amount =
      order === 0
        ? scored(
            LLR.amount.exact,
            1,
            `takes back exactly the ${allocated} ${tx.currency} allocated`,
          )
        : scored(
            order < 0 ? LLR.amount.partial : LLR.amount.over,
            order < 0 ? 0.4 : 0.2,
            `takes back ${debit} of the ${allocated} ${tx.currency} allocated`,
          );
    const reference = scored(LLR.reference.exact, 1, `names ${invoice.number}`);
    out.push({
      key: candidateKey([invoice.id], false, allocation.matchId),
      kind: 'refund',
      ...combine(tx, [invoice], reference, amount, partyEvidence(tx, [invoice])),
      invoices: [{ invoiceId: invoice.id, invoiceNumber: invoice.number, amount: allocated }],
      writeOff: null,
      reversalOf: allocation.matchId,
    });
  }
  return out;
}

interface Scored {
  llr: number;
  evidence: FactorEvidence;
}

/** The score and the evidence of a candidate: every factor, summed as log-odds. */
function combine(
  tx: SuggestTransaction,
  invoices: readonly SuggestInvoice[],
  reference: Scored,
  amount: Scored,
  party: PartyFinding,
): { score: number; evidence: Evidence } {
  const date = dateEvidence(tx, invoices);
  return {
    score: logistic(reference.llr + amount.llr + party.scored.llr + date.llr),
    evidence: {
      reference: reference.evidence,
      amount: amount.evidence,
      party: party.scored.evidence,
      date: date.evidence,
      currency: currencyEvidence(tx.currency),
    },
  };
}

function scored(llr: number, score: number, detail: string): Scored {
  return { llr, evidence: { score, detail } };
}

type ReferenceFinding = { kind: 'exact' } | { kind: 'confusable' | 'one_edit'; key: string };

function nearestReference(
  keys: readonly string[],
  invoice: SuggestInvoice,
): ReferenceFinding | null {
  let found: ReferenceFinding | null = null;
  for (const key of keys) {
    const kind = nearKind(key, invoice.normalized);
    if (kind === 'confusable') return { kind, key };
    if (kind === 'one_edit' && !found) found = { kind, key };
  }
  return found;
}

function referenceEvidence(finding: ReferenceFinding, invoice: SuggestInvoice): Scored {
  switch (finding.kind) {
    case 'exact':
      return scored(LLR.reference.exact, 1, `names ${invoice.number}`);
    case 'confusable':
      return scored(
        LLR.reference.confusable,
        0.9,
        `"${finding.key}" reads as ${invoice.number} (O for 0 or I/l for 1)`,
      );
    case 'one_edit':
      return scored(
        LLR.reference.oneEdit,
        0.8,
        `"${finding.key}" is one slip from ${invoice.number}`,
      );
  }
}

/** For candidates the text does not point to: does it point to some other invoice? */
function otherReference(tx: SuggestTransaction, pointedTo: readonly SuggestInvoice[]): Scored {
  if (pointedTo.length > 0) {
    const numbers = pointedTo.map((i) => i.number).sort();
    return scored(
      LLR.reference.pointsElsewhere,
      0,
      `the reference points to ${numbers.join(', ')} instead`,
    );
  }
  const text = tx.texts.find((t) => t && t.trim() !== '');
  return scored(0, 0, text ? 'no invoice number in the reference' : 'no reference');
}

interface PartyFinding {
  /** The payer is this invoice's customer (by account or name). */
  match: boolean;
  scored: Scored;
}

function partyEvidence(tx: SuggestTransaction, invoices: readonly SuggestInvoice[]): PartyFinding {
  const account = normalizeAccount(tx.counterpartyAccount);
  const invoice = invoices[0];
  const customer = invoice.customer ?? 'the customer';
  if (
    account &&
    invoices.every((i) => i.knownAccounts.some((a) => normalizeAccount(a) === account))
  ) {
    return {
      match: true,
      scored: scored(
        LLR.party.knownAccount,
        1,
        `account ${maskAccount(account)} paid ${customer} before`,
      ),
    };
  }
  if (!tx.counterparty || !invoice.customer) {
    return {
      match: false,
      scored: scored(0, 0, tx.counterparty ? 'the invoice names no customer' : 'no payer name'),
    };
  }
  const similarity = Math.min(...invoices.map((i) => partySimilarity(tx.counterparty, i.customer)));
  const rounded = round3(similarity);
  if (similarity === 1) {
    return {
      match: true,
      scored: scored(LLR.party.sameName, 1, `payer "${tx.counterparty}" is ${customer}`),
    };
  }
  if (similarity >= PARTY_NAME_MATCH) {
    return {
      match: true,
      scored: scored(
        LLR.party.similarName,
        rounded,
        `payer "${tx.counterparty}" is like ${customer} (${rounded})`,
      ),
    };
  }
  if (similarity < 0.5) {
    return {
      match: false,
      scored: scored(LLR.party.otherName, rounded, `payer "${tx.counterparty}" is not ${customer}`),
    };
  }
  return {
    match: false,
    scored: scored(0, rounded, `payer "${tx.counterparty}" is unlike ${customer} (${rounded})`),
  };
}

/** Open invoices of the payer, grouped by customer, oldest first (what a customer pays first). */
function partyGroups(
  open: readonly SuggestInvoice[],
  partyOf: (invoice: SuggestInvoice) => PartyFinding,
): SuggestInvoice[][] {
  const groups = new Map<string, SuggestInvoice[]>();
  for (const invoice of open) {
    if (!partyOf(invoice).match) continue;
    const key = partyKey(invoice.customer) ?? '';
    const group = groups.get(key) ?? [];
    group.push(invoice);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) =>
    g.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1)),
  );
}

const DAY_MS = 86_400_000;

function dateEvidence(tx: SuggestTransaction, invoices: readonly SuggestInvoice[]): Scored {
  if (!tx.occurredAt) return scored(0, 0.5, 'no payment date');
  const paid = tx.occurredAt.getTime();
  const oldest = invoices.reduce((a, b) => (a.createdAt <= b.createdAt ? a : b));
  const issued = oldest.createdAt.getTime();
  if (paid < issued - DAY_MS) {
    const days = Math.floor((issued - paid) / DAY_MS);
    return scored(
      LLR.date.beforeInvoice,
      0,
      `paid ${dayCount(days)} before ${oldest.number} was created`,
    );
  }
  if (oldest.dueDate) {
    const due = Date.parse(`${oldest.dueDate}T00:00:00Z`);
    const days = Math.round((paid - due) / DAY_MS);
    if (days >= -60 && days <= 30) {
      const when =
        days === 0
          ? 'on the due date'
          : days < 0
            ? `${dayCount(-days)} before the due date`
            : `${dayCount(days)} after the due date`;
      return scored(LLR.date.nearDue, 1, `paid ${when} of ${oldest.number}`);
    }
  }
  const age = Math.floor((paid - issued) / DAY_MS);
  if (age > 180)
    return scored(LLR.date.stale, 0.2, `paid ${dayCount(age)} after ${oldest.number} was created`);
  return scored(0, 0.6, `paid ${dayCount(Math.max(age, 0))} after ${oldest.number} was created`);
}

function dayCount(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}

function currencyEvidence(currency: string): FactorEvidence {
  // Candidates are only ever invoices in the transaction's currency.
  return { score: 1, detail: `both in ${currency}` };
}

function textKeys(texts: SuggestTransaction['texts']): Set<string> {
  const keys = new Set<string>();
  for (const text of texts) for (const key of candidateKeys(text)) keys.add(key);
  return keys;
}

/** Same invoices, same write-off, same reversal: the same candidate (for decline and dedupe). */
export function candidateKey(
  invoiceIds: readonly string[],
  writeOff: boolean,
  reversalOf: string | null,
): string {
  const ids = [...invoiceIds].sort().join(',');
  return reversalOf ? `reverse:${reversalOf}` : `${ids}${writeOff ? '+write_off' : ''}`;
}

function logistic(llr: number): number {
  return round3(1 / (1 + Math.exp(-(LLR.prior + llr))));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
