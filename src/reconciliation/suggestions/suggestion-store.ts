/**
 * The SQL of suggestions: load everything `suggest` needs for a batch of exceptions in a fixed
 * number of set-based statements (never a query per transaction), and write the answers.
 */
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { formatAmount } from '../../common/money';
import { candidateKeys } from '../matcher';
import { SYSTEM_ACTOR_NAME } from '../match-ledger';
import { liveWriteOffRules } from '../match-store';
import { deletionKeys, isNearCandidate, nearKind } from './near-reference';
import { normalizeAccount, partyKey } from './party';
import type { PaidAllocation, SuggestInput, SuggestInvoice, Suggestion } from './scorer';
import { MAX_PARTY_INVOICES } from './subset-sum';

interface TxRow {
  id: string;
  amount: string;
  unallocated_amount: string;
  currency: string;
  direction: 'credit' | 'debit';
  reference: string | null;
  description: string | null;
  raw_text: string | null;
  counterparty: string | null;
  counterparty_account: string | null;
  occurred_at: Date | null;
}

interface InvoiceRow {
  id: string;
  invoice_number: string;
  normalized_number: string;
  currency: string;
  outstanding: string;
  status: SuggestInvoice['status'];
  customer: string | null;
  customer_key: string | null;
  due_date: string | null;
  created_at: Date;
}

interface Plan {
  tx: TxRow;
  keys: string[];
  lookups: string[];
  parties: Set<string>;
  account: string | null;
}

/** Everything `suggest` needs for these exceptions, by transaction id. */
export async function loadInputs(
  m: EntityManager,
  transactionIds: string[],
): Promise<Map<string, SuggestInput>> {
  const txs = await m.query<TxRow[]>(
    `SELECT t.id, t.amount, t.unallocated_amount, t.currency, t.direction, t.reference,
            t.description, t.raw_text, t.counterparty, t.counterparty_account,
            t.occurred_at
       FROM transactions t
      WHERE t.id = ANY($1::uuid[]) AND t.amount IS NOT NULL AND t.currency IS NOT NULL
        AND t.unallocated_amount IS NOT NULL`,
    [transactionIds],
  );
  const plans: Plan[] = txs.map((tx) => {
    const keys = new Set<string>();
    for (const text of [tx.reference, tx.description, tx.raw_text]) {
      for (const key of candidateKeys(text)) keys.add(key);
    }
    const lookups = new Set<string>();
    if (tx.direction === 'credit') {
      for (const key of keys)
        if (isNearCandidate(key)) deletionKeys(key).forEach((k) => lookups.add(k));
    }
    const party = partyKey(tx.counterparty);
    return {
      tx,
      keys: [...keys],
      lookups: [...lookups],
      parties: new Set(party ? [party] : []),
      account: normalizeAccount(tx.counterparty_account),
    };
  });

  // Accounts that paid a customer before make that customer a party of the transaction.
  const accounts = [...new Set(plans.map((p) => p.account).filter((a): a is string => !!a))];
  const known =
    accounts.length === 0
      ? []
      : await m.query<Array<{ customer_key: string; account: string }>>(
          `SELECT customer_key, account FROM party_accounts WHERE account = ANY($1::text[])`,
          [accounts],
        );
  const customersOf = new Map<string, string[]>();
  for (const row of known) {
    customersOf.set(row.account, [...(customersOf.get(row.account) ?? []), row.customer_key]);
  }
  for (const plan of plans) {
    for (const customer of plan.account ? (customersOf.get(plan.account) ?? []) : []) {
      plan.parties.add(customer);
    }
  }

  const allKeys = [...new Set(plans.flatMap((p) => p.keys))];
  const allLookups = [...new Set(plans.flatMap((p) => p.lookups))];
  const partyPairs = new Map<string, { key: string; currency: string }>();
  for (const plan of plans) {
    if (plan.tx.direction !== 'credit') continue;
    for (const key of plan.parties) {
      partyPairs.set(`${key}\u0000${plan.tx.currency}`, { key, currency: plan.tx.currency });
    }
  }
  const named =
    allKeys.length === 0
      ? []
      : await m.query<Array<{ id: string; normalized_number: string }>>(
          `SELECT id, normalized_number FROM invoices WHERE normalized_number = ANY($1::text[])`,
          [allKeys],
        );
  const near =
    allLookups.length === 0
      ? []
      : await m.query<Array<{ key: string; invoice_id: string; normalized_number: string }>>(
          `SELECT k.key, k.invoice_id, i.normalized_number FROM invoice_near_keys k
             JOIN invoices i ON i.id = k.invoice_id
            WHERE k.key = ANY($1::text[]) AND i.status IN ('pending', 'partially_paid')`,
          [allLookups],
        );
  const party =
    partyPairs.size === 0
      ? []
      : await m.query<Array<{ key: string; currency: string; id: string }>>(
          // The oldest open invoices of each party: what a customer pays first. The bound keeps a
          // party with thousands of open invoices from costing more than any other.
          `SELECT p.key, p.currency, i.id
             FROM unnest($1::text[], $2::text[]) AS p(key, currency)
             CROSS JOIN LATERAL (
               SELECT id FROM invoices
                WHERE customer_key = p.key AND currency = p.currency
                  AND status IN ('pending', 'partially_paid') AND customer_key IS NOT NULL
                ORDER BY created_at, id LIMIT $3) i`,
          [
            [...partyPairs.values()].map((p) => p.key),
            [...partyPairs.values()].map((p) => p.currency),
            MAX_PARTY_INVOICES,
          ],
        );
  const namedByKey = groupBy(
    named,
    (r) => r.normalized_number,
    (r) => r.id,
  );
  const nearByKey = groupBy(
    near,
    (r) => r.key,
    (r) => r,
  );
  // A shared lookup key is necessary, not sufficient: only invoices one slip from one of the
  // transaction's keys are candidates (as `suggest` would find), and only they are read.
  const nearOf = new Map<Plan, Set<string>>();
  for (const plan of plans) {
    const ids = new Set<string>();
    const keys = plan.keys.filter(isNearCandidate);
    for (const lookup of plan.lookups) {
      for (const hit of nearByKey.get(lookup) ?? []) {
        if (keys.some((k) => nearKind(k, hit.normalized_number) !== null)) ids.add(hit.invoice_id);
      }
    }
    nearOf.set(plan, ids);
  }
  const partyByKey = groupBy(
    party,
    (r) => `${r.key}\u0000${r.currency}`,
    (r) => r.id,
  );

  const wanted = new Set<string>([
    ...named.map((r) => r.id),
    ...[...nearOf.values()].flatMap((ids) => [...ids]),
    ...party.map((r) => r.id),
  ]);
  const invoiceRows =
    wanted.size === 0
      ? []
      : await m.query<InvoiceRow[]>(
          `SELECT id, invoice_number, normalized_number, currency, status, customer, customer_key,
                  amount_due - amount_paid - amount_written_off AS outstanding,
                  to_char(due_date, 'YYYY-MM-DD') AS due_date, created_at
             FROM invoices WHERE id = ANY($1::uuid[])`,
          [[...wanted]],
        );
  // One object per invoice, shared by every transaction it is a candidate of (`suggest` is pure).
  const byId = new Map(
    invoiceRows.map((row): [string, { row: InvoiceRow; invoice: SuggestInvoice }] => [
      row.id,
      {
        row,
        invoice: {
          id: row.id,
          number: row.invoice_number,
          normalized: row.normalized_number,
          currency: row.currency,
          outstanding: formatAmount(row.outstanding, row.currency),
          status: row.status,
          customer: row.customer,
          dueDate: row.due_date,
          createdAt: row.created_at,
          knownAccounts: [],
        },
      },
    ]),
  );

  // Refunds: the live allocations of the invoices a debit names.
  const debitNamed = new Set<string>();
  for (const plan of plans) {
    if (plan.tx.direction !== 'debit') continue;
    for (const key of plan.keys) for (const id of namedByKey.get(key) ?? []) debitNamed.add(id);
  }
  // One statement after the other: these run on the unit of work's one connection.
  const allocations =
    debitNamed.size === 0
      ? []
      : await m.query<Array<{ id: string; invoice_id: string; amount: string }>>(
          `SELECT id, invoice_id, amount FROM transaction_matches
            WHERE invoice_id = ANY($1::uuid[]) AND reversed_at IS NULL ORDER BY created_at, id`,
          [[...debitNamed]],
        );
  const declines = await m.query<Array<{ transaction_id: string; key: string }>>(
    `SELECT transaction_id, key FROM suggestion_declines WHERE transaction_id = ANY($1::uuid[])`,
    [transactionIds],
  );
  const rules = await liveWriteOffRules(m);
  const reversed = await m.query<Array<{ transaction_id: string; invoice_id: string }>>(
    `SELECT DISTINCT transaction_id, invoice_id FROM transaction_matches
      WHERE transaction_id = ANY($1::uuid[]) AND reversed_at IS NOT NULL AND reversed_by <> $2`,
    [transactionIds, SYSTEM_ACTOR_NAME],
  );
  const allocationsOf = groupBy(
    allocations,
    (a) => a.invoice_id,
    (a) => a,
  );
  const blockedOf = groupBy(
    reversed,
    (r) => r.transaction_id,
    (r) => r.invoice_id,
  );
  const declinedOf = groupBy(
    declines,
    (d) => d.transaction_id,
    (d) => d.key,
  );

  const inputs = new Map<string, SuggestInput>();
  for (const plan of plans) {
    const { tx } = plan;
    const ids = new Set<string>();
    for (const key of plan.keys) for (const id of namedByKey.get(key) ?? []) ids.add(id);
    for (const id of nearOf.get(plan)!) ids.add(id);
    for (const key of plan.parties) {
      for (const id of partyByKey.get(`${key}\u0000${tx.currency}`) ?? []) ids.add(id);
    }
    const invoices: SuggestInvoice[] = [];
    const paid: PaidAllocation[] = [];
    for (const id of ids) {
      const found = byId.get(id);
      if (!found) continue;
      const { row, invoice } = found;
      const known =
        plan.account !== null &&
        row.customer_key !== null &&
        customersOf.get(plan.account)?.includes(row.customer_key);
      invoices.push(known ? { ...invoice, knownAccounts: [plan.account!] } : invoice);
      if (tx.direction === 'debit') {
        for (const a of allocationsOf.get(id) ?? []) {
          paid.push({ matchId: a.id, invoiceId: a.invoice_id, amount: a.amount });
        }
      }
    }
    inputs.set(tx.id, {
      tx: {
        id: tx.id,
        currency: tx.currency,
        direction: tx.direction,
        amount: formatAmount(tx.amount, tx.currency),
        unallocated: formatAmount(
          tx.direction === 'debit' ? tx.amount : tx.unallocated_amount,
          tx.currency,
        ),
        texts: [tx.reference, tx.description, tx.raw_text],
        counterparty: tx.counterparty,
        counterpartyAccount: tx.counterparty_account,
        occurredAt: tx.occurred_at,
      },
      invoices,
      rules,
      allocations: paid,
      declined: new Set(declinedOf.get(tx.id) ?? []),
      blocked: new Set(blockedOf.get(tx.id) ?? []),
    });
  }
  return inputs;
}

/** A suggestion's id: the same proposal for the same transaction keeps its id over refreshes. */
export function suggestionId(transactionId: string, basis: string, s: Suggestion): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([transactionId, basis, s.key, s.invoices, s.writeOff, s.reversalOf]))
    .digest('hex');
  // Shaped as a version-8 (custom) UUID so it fits the uuid column and reads like one.
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16) + hex.slice(18, 20),
    hex.slice(20, 32),
  ].join('-');
}

export interface StoredBatch {
  transactionId: string;
  basis: string;
  ranked: Suggestion[];
  /** Computed from money that moved meanwhile: stored, but the exception stays due. */
  moved?: boolean;
}

/**
 * Transactions whose suggestions name an invoice whose money moved since `inputs` were read, or
 * is moving now (locked by another unit of work). Their answers may be stale the moment they are
 * stored, and the other unit of work cannot see them to mark them due: it marks only the
 * exceptions of suggestions committed before its own statement. So every named invoice is
 * share-locked until this transaction commits: a change that comes later waits for the commit
 * and then finds these suggestions; one that came first is seen here (a changed amount or
 * status) or holds the lock (SKIP LOCKED: nothing waits, so no deadlock with a ledger waiting
 * for these exceptions), and then the exception stays due and is computed again.
 */
export async function movedMeanwhile(
  m: EntityManager,
  inputs: ReadonlyMap<string, SuggestInput>,
  answers: ReadonlyArray<{ transactionId: string; ranked: readonly Suggestion[] }>,
): Promise<Set<string>> {
  const read = new Map<string, SuggestInvoice>();
  for (const input of inputs.values()) for (const i of input.invoices) read.set(i.id, i);
  const named = new Set(
    answers.flatMap((a) => a.ranked.flatMap((s) => s.invoices.map((i) => i.invoiceId))),
  );
  if (named.size === 0) return new Set();
  const now = await m.query<Array<{ id: string; outstanding: string; status: string }>>(
    `SELECT id, amount_due - amount_paid - amount_written_off AS outstanding, status
       FROM invoices WHERE id = ANY($1::uuid[]) FOR SHARE SKIP LOCKED`,
    [[...named]],
  );
  const steady = new Set(
    now
      .filter((row) => {
        const before = read.get(row.id);
        return (
          before !== undefined &&
          before.status === row.status &&
          before.outstanding === formatAmount(row.outstanding, before.currency)
        );
      })
      .map((row) => row.id),
  );
  return new Set(
    answers
      .filter((a) => a.ranked.some((s) => s.invoices.some((i) => !steady.has(i.invoiceId))))
      .map((a) => a.transactionId),
  );
}

/**
 * Replaces the current suggestions of these transactions: unchanged ones keep their row (and
 * id), changed or gone ones are superseded, and a new best suggestion is a
 * `reconciliation.suggested` event. Marks the exceptions computed (not those whose money
 * `moved`). Returns the stored ids by
 * transaction, best first.
 */
export async function writeSuggestions(
  m: EntityManager,
  batch: StoredBatch[],
): Promise<Map<string, string[]>> {
  const ids = new Map<string, string[]>();
  const rows: unknown[] = [];
  for (const { transactionId, basis, ranked } of batch) {
    const list: string[] = [];
    ranked.forEach((s, i) => {
      const id = suggestionId(transactionId, basis, s);
      list.push(id);
      rows.push({
        id,
        transaction_id: transactionId,
        key: s.key,
        rank: i + 1,
        kind: s.kind,
        score: s.score.toFixed(3),
        invoices: s.invoices.map((x) => ({
          invoice_id: x.invoiceId,
          invoice_number: x.invoiceNumber,
          amount: x.amount,
        })),
        invoice_ids: s.invoices.map((x) => x.invoiceId),
        write_off: s.writeOff
          ? { amount: s.writeOff.amount, reason: s.writeOff.reason, rule_id: s.writeOff.ruleId }
          : null,
        reversal_of: s.reversalOf,
        evidence: s.evidence,
        basis_unallocated: basis,
      });
    });
    ids.set(transactionId, list);
  }
  const txIds = batch.map((b) => b.transactionId);
  const before = await m.query<Array<{ transaction_id: string; id: string }>>(
    `SELECT transaction_id, id FROM suggestions
      WHERE transaction_id = ANY($1::uuid[]) AND superseded_at IS NULL AND rank = 1`,
    [txIds],
  );
  const bestBefore = new Map(before.map((r) => [r.transaction_id, r.id]));
  const allIds = [...ids.values()].flat();
  await m.query(
    `UPDATE suggestions SET superseded_at = now()
      WHERE transaction_id = ANY($1::uuid[]) AND superseded_at IS NULL AND NOT (id = ANY($2::uuid[]))`,
    [txIds, allIds],
  );
  if (rows.length > 0) {
    await m.query(
      `INSERT INTO suggestions (id, transaction_id, key, rank, kind, score, invoices, invoice_ids,
                                write_off, reversal_of, evidence, basis_unallocated)
       SELECT r.id, r.transaction_id, r.key, r.rank, r.kind, r.score, r.invoices,
              ARRAY(SELECT jsonb_array_elements_text(r.invoice_ids))::uuid[], r.write_off,
              r.reversal_of, r.evidence, r.basis_unallocated
         FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, transaction_id uuid, key text,
              rank smallint, kind text, score numeric, invoices jsonb, invoice_ids jsonb,
              write_off jsonb, reversal_of uuid, evidence jsonb, basis_unallocated numeric)
       ON CONFLICT (id) DO UPDATE
          SET rank = EXCLUDED.rank, score = EXCLUDED.score, evidence = EXCLUDED.evidence,
              superseded_at = NULL`,
      [JSON.stringify(rows)],
    );
  }
  const announced = batch
    .filter(
      (b) =>
        b.ranked.length > 0 && bestBefore.get(b.transactionId) !== ids.get(b.transactionId)?.[0],
    )
    .map((b) => ids.get(b.transactionId)![0]);
  if (announced.length > 0) {
    await m.query(
      `INSERT INTO outbox_events (id, type, payload)
       SELECT gen_random_uuid(), 'reconciliation.suggested',
              jsonb_build_object(
                'transaction_id', s.transaction_id, 'reason', e.reason, 'suggestion_id', s.id,
                'score', s.score::text, 'kind', s.kind, 'invoices', s.invoices,
                'write_off', s.write_off, 'reversal_of', s.reversal_of)
         FROM suggestions s JOIN transaction_exceptions e ON e.transaction_id = s.transaction_id
        WHERE s.id = ANY($1::uuid[])`,
      [announced],
    );
  }
  await m.query(
    `UPDATE transaction_exceptions SET suggested_at = now() WHERE transaction_id = ANY($1::uuid[])`,
    [batch.filter((b) => !b.moved).map((b) => b.transactionId)],
  );
  return ids;
}

function groupBy<T, V>(
  rows: readonly T[],
  key: (row: T) => string,
  value: (row: T) => V,
): Map<string, V[]> {
  const map = new Map<string, V[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(value(row));
    else map.set(k, [value(row)]);
  }
  return map;
}
