/**
 * The SQL of matching. Every write path locks in one global order, transactions then invoices,
 * each by id (FOR NO KEY UPDATE), re-reads amounts under the lock and writes in a handful of
 * set-based statements (unnest arrays), so a batch of thousands costs the same few round trips
 * as one transaction and concurrent writers (runs, real-time matching, staff) cannot deadlock or
 * allocate an amount twice.
 */
import type { EntityManager } from 'typeorm';
import { compareMoney, subMoney } from '../common/money';
import { candidateKeys } from './matcher';
import { deletionKeys, isNearCandidate, nearKind } from './suggestions/near-reference';
import { normalizeAccount } from './suggestions/party';
import type { WriteOffRule } from './suggestions/write-off';
import { appendAudit, auditEntryIds } from '../audit/audit-log';
import {
  allocationActor,
  allocationAuditExtras,
  type AppliedSuggestion,
  ledgerAuditEntries,
} from './match-audit';
import {
  type Actor,
  type ExistingMatch,
  type ExistingWriteOff,
  type LockedInvoice,
  type LockedTransaction,
  MatchLedger,
  SYSTEM_ACTOR_NAME,
} from './match-ledger';

/** Keys per lookup statement: bounds the parameter size whatever the texts hold. */
const KEY_CHUNK = 20_000;

export interface OpenOptions {
  /** Invoices to lock besides those the transactions name (a manual match's invoice). */
  extraInvoiceIds?: string[];
  /** Also lock the invoices of the transactions' live allocations (to reverse them). */
  lockAllocatedInvoices?: boolean;
}

export interface WriteContext {
  actor: Actor;
  runId: string | null;
  /** The suggestions applied, by allocation id, named in their allocations' audit entries. */
  suggestions?: ReadonlyMap<string, AppliedSuggestion>;
}

/** Locks and loads everything a unit of work over these transactions may touch. */
export async function openLedger(
  m: EntityManager,
  transactionIds: string[],
  options: OpenOptions = {},
): Promise<MatchLedger> {
  const txs = await m.query<LockedTransaction[]>(
    `SELECT id, amount, unallocated_amount, currency, direction, status, bank_status,
            reference, description, raw_text, match_status, counterparty, counterparty_account
       FROM transactions WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
    [transactionIds],
  );
  const matches =
    txs.length === 0
      ? []
      : await m.query<ExistingMatch[]>(
          `SELECT id, transaction_id, invoice_id, amount, reversed_at IS NULL AS live,
                  reversed_at IS NOT NULL AND reversed_by <> $2 AS blocking
             FROM transaction_matches WHERE transaction_id = ANY($1::uuid[])`,
          [txs.map((tx) => tx.id), SYSTEM_ACTOR_NAME],
        );
  // Debits too: one naming an invoice that was paid is a refund.
  const keys = new Set<string>();
  for (const tx of txs) {
    for (const text of [tx.reference, tx.description, tx.raw_text]) {
      for (const key of candidateKeys(text)) keys.add(key);
    }
  }
  const invoiceIds = new Set(options.extraInvoiceIds ?? []);
  if (options.lockAllocatedInvoices) {
    for (const match of matches) if (match.live) invoiceIds.add(match.invoice_id);
  }
  const keyList = [...keys];
  for (let i = 0; i < keyList.length; i += KEY_CHUNK) {
    // Unlocked lookup, then one locking read by id: the lock order stays by id whatever the
    // number of chunks. Numbers never change, so an invoice found here is the one locked.
    const found = await m.query<Array<{ id: string }>>(
      `SELECT id FROM invoices WHERE normalized_number = ANY($1::text[])`,
      [keyList.slice(i, i + KEY_CHUNK)],
    );
    for (const { id } of found) invoiceIds.add(id);
  }
  const invoices =
    invoiceIds.size === 0
      ? []
      : await m.query<LockedInvoice[]>(
          `SELECT id, invoice_number, normalized_number, currency, amount_due, amount_paid,
                  amount_written_off, customer_key, customer, status
             FROM invoices WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`,
          [[...invoiceIds]],
        );
  const nearExact = await nearExactAmounts(m, txs, invoices);
  const liveMatchIds = matches.filter((match) => match.live).map((match) => match.id);
  const writeOffs =
    liveMatchIds.length === 0
      ? []
      : await m.query<ExistingWriteOff[]>(
          `SELECT id, match_id, invoice_id, amount FROM write_offs
            WHERE match_id = ANY($1::uuid[]) AND reversed_at IS NULL`,
          [liveMatchIds],
        );
  return new MatchLedger(txs, invoices, matches, writeOffs, await liveWriteOffRules(m), nearExact);
}

/**
 * The credits whose named invoice does not have their amount outstanding but an open invoice one
 * slip from that number does (the matcher then leaves them to a person: `doubtful`). Read only
 * for such credits, one statement for the batch, unlocked: nothing is written to the neighbours.
 */
async function nearExactAmounts(
  m: EntityManager,
  txs: LockedTransaction[],
  invoices: LockedInvoice[],
): Promise<Set<string>> {
  const byNumber = new Map(invoices.map((i) => [i.normalized_number, i]));
  const suspects: Array<{ tx: LockedTransaction; key: string; invoiceId: string }> = [];
  for (const tx of txs) {
    if (tx.direction !== 'credit' || tx.currency === null || tx.unallocated_amount === null)
      continue;
    for (const key of candidateKeys(tx.reference)) {
      const named = byNumber.get(key);
      if (!named || !isNearCandidate(key) || named.currency !== tx.currency) continue;
      const outstanding = subMoney(
        subMoney(named.amount_due, named.amount_paid, named.currency),
        named.amount_written_off,
        named.currency,
      );
      if (compareMoney(outstanding, tx.unallocated_amount, tx.currency) !== 0) {
        suspects.push({ tx, key, invoiceId: named.id });
      }
    }
  }
  const found = new Set<string>();
  if (suspects.length === 0) return found;
  const lookups = [...new Set(suspects.flatMap((s) => deletionKeys(s.key)))];
  const near = await m.query<
    Array<{
      key: string;
      id: string;
      normalized_number: string;
      currency: string;
      outstanding: string;
    }>
  >(
    `SELECT k.key, i.id, i.normalized_number, i.currency,
            i.amount_due - i.amount_paid - i.amount_written_off AS outstanding
       FROM invoice_near_keys k JOIN invoices i ON i.id = k.invoice_id
      WHERE k.key = ANY($1::text[]) AND i.status IN ('pending', 'partially_paid')`,
    [lookups],
  );
  for (const s of suspects) {
    const lookupSet = new Set(deletionKeys(s.key));
    const fits = near.some(
      (n) =>
        lookupSet.has(n.key) &&
        n.id !== s.invoiceId &&
        n.currency === s.tx.currency &&
        nearKind(s.key, n.normalized_number) !== null &&
        compareMoney(n.outstanding, s.tx.unallocated_amount as string, n.currency) === 0,
    );
    if (fits) found.add(s.tx.id);
  }
  return found;
}

/** The rules in force: a handful of rows, read in every unit of work so a change applies at once. */
export async function liveWriteOffRules(m: EntityManager): Promise<WriteOffRule[]> {
  const rows = await m.query<
    Array<{
      id: string;
      name: string;
      currency: string;
      max_amount: string;
      max_percent: string | null;
      reason: WriteOffRule['reason'];
    }>
  >(
    `SELECT id, name, currency, max_amount, max_percent, reason
       FROM write_off_rules WHERE deleted_at IS NULL ORDER BY id`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    currency: r.currency,
    maxAmount: r.max_amount,
    maxPercent: r.max_percent,
    reason: r.reason,
  }));
}

/** Writes what the ledger changed, in the caller's database transaction. */
export async function writeLedger(
  m: EntityManager,
  ledger: MatchLedger,
  context: WriteContext,
): Promise<void> {
  const allocations = ledger.newAllocations;
  if (allocations.length > 0) {
    const extras = allocationAuditExtras(ledger, context);
    const actors = allocations.map((a) => allocationActor(a.rule, context));
    // The allocations and their audit entries in one statement, the entries built from the very
    // rows inserted: no second copy of a run's batch travels as JSON to be parsed again (that
    // cost a run about 10 %, bench/RESULTS.md). Entry ids are time-ordered like the
    // allocations' (appendAudit). Same transaction: an allocation without its entry cannot
    // commit, nor the other way round.
    await m.query(
      `WITH a AS MATERIALIZED (
         SELECT *
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                       $7::text[], $9::text[], $10::uuid[], $11::uuid[], $12::jsonb[])
                WITH ORDINALITY
                AS a(id, transaction_id, invoice_id, amount, currency, rule, note, actor,
                     actor_key_id, entry_id, extra, ord)
       ), made AS (
         INSERT INTO transaction_matches
           (id, transaction_id, invoice_id, amount, currency, rule, note, run_id, created_by,
            created_by_key_id)
         SELECT id, transaction_id, invoice_id, amount::numeric, currency, rule, note, $8::uuid,
                actor, actor_key_id
           FROM a
       )
       INSERT INTO audit_log (id, actor, actor_key_id, action, entity, entity_id, data)
       SELECT entry_id, actor, actor_key_id, 'allocation.created', 'allocation', id::text,
              jsonb_build_object('transaction_id', transaction_id, 'invoice_id', invoice_id,
                                 'amount', amount, 'currency', currency, 'rule', rule,
                                 'run_id', $8::uuid, 'note', note)
                || coalesce(extra, '{}'::jsonb)
         FROM a ORDER BY ord`,
      [
        allocations.map((a) => a.id),
        allocations.map((a) => a.transactionId),
        allocations.map((a) => a.invoiceId),
        allocations.map((a) => a.amount),
        allocations.map((a) => a.currency),
        allocations.map((a) => a.rule),
        allocations.map((a) => a.note),
        context.runId,
        actors.map((a) => a.name),
        actors.map((a) => a.keyId),
        auditEntryIds(allocations.length),
        extras.map((e) => (e ? JSON.stringify(e) : null)),
      ],
    );
  }
  await learnAccounts(m, ledger, allocations, context.actor);
  await writeWriteOffs(m, ledger);
  for (const reversal of ledger.reversals) {
    await m.query(
      `UPDATE transaction_matches
          SET reversed_at = now(), reversed_by = $2, reversed_by_key_id = $3, reversal_reason = $4
        WHERE id = $1 AND reversed_at IS NULL`,
      [reversal.matchId, reversal.actor.name, reversal.actor.keyId, reversal.reason],
    );
  }
  const txs = ledger.changedTransactions();
  if (txs.length > 0) {
    await m.query(
      `UPDATE transactions t
          SET unallocated_amount = v.unallocated, match_status = v.match_status, updated_at = now()
         FROM unnest($1::uuid[], $2::numeric[], $3::text[]) AS v(id, unallocated, match_status)
        WHERE t.id = v.id AND t.id = ANY($1::uuid[])`,
      [txs.map((t) => t.id), txs.map((t) => t.unallocated), txs.map((t) => t.matchStatus)],
    );
  }
  const invoices = ledger.changedInvoices();
  if (invoices.length > 0) {
    // An invoice that has just become partially paid or paid is an event, written with it. The
    // status it changes from is the one the ledger read under the lock: joining the invoices
    // again to read it made PostgreSQL hash the whole table for every batch (bench/RESULTS.md).
    // `id = ANY(ids)` next to the join (here and above) lets the planner see that only the
    // batch's rows are touched: with the join alone it estimated a sequential scan of the whole
    // table as cheaper than 1 000 index lookups for tables of about 100 000 rows.
    const emits = invoices.map(
      (i) =>
        i.status !== i.previousStatus && (i.status === 'partially_paid' || i.status === 'paid'),
    );
    await m.query(
      `WITH upd AS (
         UPDATE invoices i
            SET amount_paid = v.amount_paid, amount_written_off = v.written_off, status = v.status,
                updated_at = now()
           FROM unnest($1::uuid[], $2::numeric[], $3::text[], $4::boolean[], $5::numeric[])
                AS v(id, amount_paid, status, emit, written_off)
          WHERE i.id = v.id AND i.id = ANY($1::uuid[])
          RETURNING i.status, CASE WHEN v.emit THEN bank_sync_invoice_json(i) END AS json)
       INSERT INTO outbox_events (id, type, payload)
       SELECT gen_random_uuid(), 'invoice.' || status, json FROM upd WHERE json IS NOT NULL`,
      [
        invoices.map((i) => i.id),
        invoices.map((i) => i.amountPaid),
        invoices.map((i) => i.status),
        emits,
        invoices.map((i) => i.amountWrittenOff),
      ],
    );
    // The money of these invoices moved: suggestions naming them are computed again before
    // anyone sees or accepts them (an invoice paid elsewhere must not stay suggested). Not the
    // exceptions this ledger settles: writeExceptions deletes them below. One GIN probe per
    // invoice (LATERAL, kept a subquery by OFFSET 0): for the overlap of a whole batch's ids, or
    // a join it could flatten, the planner preferred reading every current suggestion when the
    // table's statistics lagged its growth (bench/RESULTS.md, suggestion speed).
    await m.query(
      `UPDATE transaction_exceptions e SET suggested_at = NULL
        WHERE e.suggested_at IS NOT NULL AND NOT (e.transaction_id = ANY($2::uuid[]))
          AND e.transaction_id IN (
                SELECT s.transaction_id FROM unnest($1::uuid[]) AS v(id)
                 CROSS JOIN LATERAL (
                   SELECT transaction_id FROM suggestions
                    WHERE invoice_ids @> ARRAY[v.id] AND superseded_at IS NULL OFFSET 0) s)`,
      [invoices.map((i) => i.id), settledTransactions(ledger)],
    );
  }
  await writeExceptions(m, ledger);
  // The write-offs' and reversals' entries, after the allocations' (written with them above).
  await appendAudit(m, ledgerAuditEntries(ledger, context));
}

/**
 * Who pays whom: the payer's account of a confirmed allocation (an exact reference, a person's
 * allocation or acceptance, never an automatic suggestion, which would learn from itself) is
 * remembered for the invoice's customer, for later suggestions.
 */
async function learnAccounts(
  m: EntityManager,
  ledger: MatchLedger,
  allocations: MatchLedger['newAllocations'],
  actor: Actor,
): Promise<void> {
  // Most payments carry no account: then there is nothing to learn and no statement to send.
  // Stored in the form the suggestions look it up by (normalizeAccount): a statement's CSV may
  // spell an account with dots or spaces that the intake's parser did not take out.
  const learned: Array<{ invoiceId: string; account: string }> = [];
  for (const a of allocations) {
    if (a.rule === 'suggestion' && actor.name === SYSTEM_ACTOR_NAME) continue;
    const account = normalizeAccount(ledger.transaction(a.transactionId)?.counterparty_account);
    if (account) learned.push({ invoiceId: a.invoiceId, account });
  }
  if (learned.length === 0) return;
  await m.query(
    `INSERT INTO party_accounts (customer_key, account)
     SELECT DISTINCT i.customer_key, a.account
       FROM unnest($1::uuid[], $2::text[]) AS a(invoice_id, account)
       JOIN invoices i ON i.id = a.invoice_id
      WHERE i.customer_key IS NOT NULL
     ON CONFLICT (customer_key, account) DO NOTHING`,
    [learned.map((l) => l.invoiceId), learned.map((l) => l.account)],
  );
}

/** New write-offs (and their `invoice.written_off` events), and those reversed. */
async function writeWriteOffs(m: EntityManager, ledger: MatchLedger): Promise<void> {
  const made = ledger.newWriteOffs;
  if (made.length > 0) {
    await m.query(
      `WITH w AS (
         INSERT INTO write_offs (id, match_id, invoice_id, amount, currency, reason, rule_id)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::numeric[], $5::text[],
                              $6::text[], $7::uuid[])
         RETURNING *)
       INSERT INTO outbox_events (id, type, payload)
       SELECT gen_random_uuid(), 'invoice.written_off',
              jsonb_build_object(
                'invoice_id', w.invoice_id, 'write_off_id', w.id, 'match_id', w.match_id,
                'amount', bank_sync_money(w.amount, w.currency), 'currency', w.currency,
                'reason', w.reason, 'rule_id', w.rule_id)
         FROM w`,
      [
        made.map((w) => w.id),
        made.map((w) => w.matchId),
        made.map((w) => w.invoiceId),
        made.map((w) => w.amount),
        made.map((w) => w.currency),
        made.map((w) => w.reason),
        made.map((w) => w.ruleId),
      ],
    );
  }
  if (ledger.reversedWriteOffs.length > 0) {
    await m.query(
      `UPDATE write_offs SET reversed_at = now() WHERE id = ANY($1::uuid[]) AND reversed_at IS NULL`,
      [ledger.reversedWriteOffs],
    );
  }
}

/** Transactions whose exception this ledger clears (nothing left to decide). */
function settledTransactions(ledger: MatchLedger): string[] {
  return [...ledger.reasons].filter(([, reason]) => !reason).map(([txId]) => txId);
}

async function writeExceptions(m: EntityManager, ledger: MatchLedger): Promise<void> {
  const flagged: Array<[string, string]> = [];
  for (const [txId, reason] of ledger.reasons) if (reason) flagged.push([txId, reason]);
  const cleared = settledTransactions(ledger);
  if (flagged.length > 0) {
    // Unchanged reasons are not rewritten: a re-run with nothing new changes nothing.
    // A new or changed reason is a `reconciliation.exception` event, in the exception list's shape.
    await m.query(
      `WITH changed AS (
         INSERT INTO transaction_exceptions (transaction_id, reason)
         SELECT * FROM unnest($1::uuid[], $2::text[])
         ON CONFLICT (transaction_id) DO UPDATE
           SET reason = EXCLUDED.reason, updated_at = now(), suggested_at = NULL
          WHERE transaction_exceptions.reason <> EXCLUDED.reason
         RETURNING transaction_id, reason)
       INSERT INTO outbox_events (id, type, payload)
       SELECT gen_random_uuid(), 'reconciliation.exception',
              jsonb_build_object(
                'transaction_id', t.id, 'external_id', t.external_id, 'bank_id', t.bank_id,
                'reason', c.reason, 'amount', bank_sync_money(t.amount, t.currency),
                'unallocated_amount', bank_sync_money(t.unallocated_amount, t.currency),
                'currency', t.currency, 'reference', t.reference, 'description', t.description,
                'occurred_at', bank_sync_iso(t.occurred_at))
         FROM changed c JOIN transactions t ON t.id = c.transaction_id
        WHERE t.id = ANY($1::uuid[])`,
      [flagged.map(([id]) => id), flagged.map(([, reason]) => reason)],
    );
  }
  if (cleared.length > 0) {
    await m.query(`DELETE FROM transaction_exceptions WHERE transaction_id = ANY($1::uuid[])`, [
      cleared,
    ]);
  }
}
