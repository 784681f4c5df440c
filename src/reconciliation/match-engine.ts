/**
 * Units of work of matching, each one database transaction: a batch of transactions (runs and
 * real-time matching), a manual allocation, a reversal. A plain class over a DataSource so that
 * the service, the seed script and tests share it.
 */
import { HttpStatus, Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { addMoney, compareMoney, minMoney, parseAmount, toMinor } from '../common/money';
import { notFound, ProblemException } from '../common/problem';
import { SYSTEM_ACTOR_NAME, type Actor, type MatchLedger } from './match-ledger';
import { openLedger, writeLedger } from './match-store';
import type { AppliedSuggestion } from './match-audit';
import { appendAudit } from '../audit/audit-log';
import type { WriteOffReason } from './suggestions/write-off';

export const SYSTEM_ACTOR: Actor = { name: SYSTEM_ACTOR_NAME, keyId: null };

/** Transactions per unit of work: big enough to amortize round trips, small enough to lock. */
export const BATCH_SIZE = 1000;

export interface BatchResult {
  /** Transactions that got at least one allocation. */
  matched: string[];
  /** Matchable transactions evaluated that got none (each now has an exception). */
  unmatched: string[];
}

export interface ManualMatchInput {
  transactionId: string;
  invoiceId: string;
  amount?: string | number;
  note: string;
}

const RETRYABLE = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

export class MatchEngine {
  private readonly logger = new Logger('MatchEngine');

  /** @param committed called after each commit: what it wrote includes outbox events. */
  constructor(
    private readonly dataSource: DataSource,
    private readonly committed: () => void = () => undefined,
  ) {}

  /** Matches the matchable transactions among these ids (any number: chunked). */
  async matchTransactions(ids: string[], runId: string | null = null): Promise<BatchResult> {
    const result: BatchResult = { matched: [], unmatched: [] };
    for (let i = 0; i < ids.length; i += BATCH_SIZE) {
      const batch = await this.matchBatch(ids.slice(i, i + BATCH_SIZE), runId);
      result.matched.push(...batch.matched);
      result.unmatched.push(...batch.unmatched);
    }
    return result;
  }

  /**
   * One unit of work: lock, decide oldest first (callers pass ids in age order), write.
   * `onLocked` is called once every row the unit will write is locked (see RunsService).
   */
  async matchBatch(
    ids: string[],
    runId: string | null,
    onLocked?: () => void,
  ): Promise<BatchResult> {
    return this.inTransaction(async (m) => {
      const ledger = await openLedger(m, ids);
      onLocked?.();
      const result: BatchResult = { matched: [], unmatched: [] };
      for (const id of ids) {
        if (!ledger.transaction(id)) {
          // Gone, not PROCESSED (any more), HELD or amount unknown: not an exception either.
          ledger.reasons.set(id, null);
          continue;
        }
        const before = ledger.newAllocations.length;
        try {
          ledger.decide(id);
        } catch (err) {
          // An amount or currency the matcher cannot read exactly: leave it for a person
          // rather than fail the whole batch.
          this.logger.error({ err, transaction_id: id }, 'transaction could not be matched');
          result.unmatched.push(id);
          continue;
        }
        if (ledger.newAllocations.length > before) result.matched.push(id);
        // A debit that is no refund is not an exception: neither matched nor unmatched.
        else if (ledger.reasons.get(id) !== null) result.unmatched.push(id);
      }
      await writeLedger(m, ledger, { actor: SYSTEM_ACTOR, runId });
      return result;
    });
  }

  /** A staff allocation; the rules then apply to what is left of the transaction. */
  async manualMatch(input: ManualMatchInput, actor: Actor): Promise<string> {
    return this.inTransaction(async (m) => {
      const ledger = await openLedger(m, [input.transactionId], {
        extraInvoiceIds: [input.invoiceId],
      });
      const tx = ledger.transaction(input.transactionId);
      if (!tx) return this.explainUnmatchable(m, input.transactionId);
      const invoice = ledger.invoice(input.invoiceId);
      if (!invoice) throw notFound('Invoice', input.invoiceId);
      const currency = tx.currency as string;
      if (tx.direction !== 'credit') {
        throw conflict('transaction-not-matchable', 'A debit cannot pay an invoice');
      }
      if (invoice.status === 'cancelled') {
        throw conflict('invoice-cancelled', `Invoice ${invoice.number} is cancelled`);
      }
      if (invoice.currency !== currency) {
        throw conflict(
          'currency-mismatch',
          `The transaction is in ${currency}, invoice ${invoice.number} in ${invoice.currency}`,
        );
      }
      const unallocated = ledger.unallocated(tx.id);
      if (toMinor(unallocated, currency) === 0n) {
        throw conflict('nothing-unallocated', 'The transaction is already fully allocated');
      }
      if (toMinor(invoice.outstanding, currency) === 0n) {
        throw conflict('invoice-already-paid', `Invoice ${invoice.number} is already paid`);
      }
      const limit = minMoney(unallocated, invoice.outstanding, currency);
      let amount = limit;
      if (input.amount !== undefined) {
        const parsed = parseAmount(input.amount, currency);
        if (!parsed.ok) {
          throw new ProblemException(HttpStatus.BAD_REQUEST, 'validation-error', parsed.message, {
            errors: [{ field: 'amount', message: parsed.message }],
          });
        }
        if (compareMoney(parsed.value, limit, currency) > 0) {
          throw conflict(
            'allocation-too-large',
            `At most ${limit} ${currency} can be allocated (transaction unallocated ` +
              `${unallocated}, invoice outstanding ${invoice.outstanding})`,
          );
        }
        amount = parsed.value;
      }
      const allocation = ledger.allocate(tx.id, invoice.id, amount, 'manual', input.note);
      ledger.decide(tx.id);
      await writeLedger(m, ledger, { actor, runId: null });
      return allocation.id;
    });
  }

  /**
   * Makes a suggestion's allocations (and its write-off or reversal) exactly as stored, in one
   * unit of work, or answers 409 when the money moved since it was computed: the suggestion is
   * superseded, its exception is due to be computed again, the transaction's unallocated amount
   * changed, or an invoice has less outstanding than the suggestion allocates.
   */
  async applySuggestion(suggestionId: string, actor: Actor): Promise<string[]> {
    return this.inTransaction(async (m) => {
      const [s] = await lockSuggestions(m, [suggestionId]);
      if (!s) throw notFound('Suggestion', suggestionId);
      if (s.superseded_at || !s.suggested_at) throw staleSuggestion();
      const ledger = await openLedger(m, ledgerTransactions([s]), {
        extraInvoiceIds: s.invoices.map((i) => i.invoice_id),
        lockAllocatedInvoices: s.reversal_of !== null,
      });
      if (!ledger.transaction(s.transaction_id)) {
        return this.explainUnmatchable(m, s.transaction_id);
      }
      const made = applyStored(ledger, s, actor, false);
      await writeLedger(m, ledger, {
        actor,
        runId: null,
        suggestions: appliedBy([{ s, made }], false),
      });
      await m.query(`UPDATE suggestions SET superseded_at = now() WHERE id = $1`, [s.id]);
      await appendAudit(m, [
        {
          actor,
          action: 'suggestion.accepted',
          entity: 'suggestion',
          entityId: s.id,
          data: {
            transaction_id: s.transaction_id,
            kind: s.kind,
            score: s.score,
            automatic: false,
            allocation_ids: made,
            reversal_of: s.reversal_of,
          },
        },
      ]);
      return made;
    });
  }

  /**
   * The system's own applications (AUTO_MATCH_THRESHOLD), many in one unit of work: a suggestion
   * whose money moved (by then, or by an earlier one of the same batch naming the same invoice) is
   * skipped, and its exception is computed again. Refunds are never applied automatically.
   * Returns how many were applied.
   */
  async applyAutomatic(suggestionIds: string[]): Promise<number> {
    if (suggestionIds.length === 0) return 0;
    return this.inTransaction(async (m) => {
      const stored = (await lockSuggestions(m, suggestionIds)).filter(
        (s) => s.reversal_of === null,
      );
      const ledger = await openLedger(m, ledgerTransactions(stored), {
        extraInvoiceIds: stored.flatMap((s) => s.invoices.map((i) => i.invoice_id)),
      });
      const done: Array<{ s: StoredSuggestion; made: string[] }> = [];
      for (const s of stored) {
        if (!ledger.transaction(s.transaction_id)) continue;
        try {
          done.push({ s, made: applyStored(ledger, s, SYSTEM_ACTOR, true) });
        } catch (err) {
          if (err instanceof ProblemException && err.getStatus() === 409) {
            continue;
          }
          throw err;
        }
      }
      if (done.length === 0) return 0;
      await writeLedger(m, ledger, {
        actor: SYSTEM_ACTOR,
        runId: null,
        suggestions: appliedBy(done, true),
      });
      await m.query(`UPDATE suggestions SET superseded_at = now() WHERE id = ANY($1::uuid[])`, [
        done.map(({ s }) => s.id),
      ]);
      await appendAudit(
        m,
        done.map(({ s, made }) => ({
          actor: SYSTEM_ACTOR,
          action: 'suggestion.accepted',
          entity: 'suggestion',
          entityId: s.id,
          data: {
            transaction_id: s.transaction_id,
            kind: s.kind,
            score: s.score,
            automatic: true,
            allocation_ids: made,
            reversal_of: s.reversal_of,
          },
        })),
      );
      return done.length;
    });
  }

  /** Reverses one allocation; the rules then apply again, never to the pair reversed. */
  async reverseMatch(matchId: string, reason: string, actor: Actor): Promise<void> {
    const [row] = await this.dataSource.query<Array<{ transaction_id: string }>>(
      `SELECT transaction_id FROM transaction_matches WHERE id = $1`,
      [matchId],
    );
    if (!row) throw notFound('Allocation', matchId);
    await this.inTransaction(async (m) => {
      const ledger = await openLedger(m, [row.transaction_id], { lockAllocatedInvoices: true });
      const match = ledger.match(matchId);
      if (!match?.live) {
        throw conflict('already-reversed', `Allocation ${matchId} is already reversed`);
      }
      ledger.reverse(matchId, actor, reason);
      if (ledger.transaction(row.transaction_id)) ledger.decide(row.transaction_id);
      await writeLedger(m, ledger, { actor, runId: null });
    });
  }

  /** The bank withdrew the transaction: every live allocation is reversed, none re-made. */
  async reverseAllocations(transactionId: string, reason: string, actor: Actor): Promise<void> {
    await this.inTransaction(async (m) => {
      const ledger = await openLedger(m, [transactionId], { lockAllocatedInvoices: true });
      for (const matchId of ledger.liveMatchIds(transactionId)) {
        ledger.reverse(matchId, actor, reason);
      }
      ledger.reasons.set(transactionId, null);
      await writeLedger(m, ledger, { actor, runId: null });
    });
  }

  private async explainUnmatchable(m: EntityManager, id: string): Promise<never> {
    const [row] = await m.query<Array<{ status: string; bank_status: string | null }>>(
      `SELECT status, bank_status FROM transactions WHERE id = $1`,
      [id],
    );
    if (!row) throw notFound('Transaction', id);
    const state = row.bank_status === 'HELD' ? 'HELD by the bank' : row.status;
    throw conflict(
      'transaction-not-matchable',
      `Transaction ${id} is ${state}; it cannot be matched`,
    );
  }

  /** One database transaction, retried when PostgreSQL picks it as a deadlock victim. */
  private async inTransaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.dataSource.transaction(work);
        this.committed();
        return result;
      } catch (err) {
        const code = (err as { driverError?: { code?: string } }).driverError?.code;
        if (attempt >= 3 || !code || !RETRYABLE.has(code)) throw err;
        this.logger.warn(`retrying a matching unit of work after ${code} (attempt ${attempt})`);
      }
    }
  }
}

interface StoredSuggestion {
  id: string;
  transaction_id: string;
  kind: string;
  score: string;
  invoices: Array<{ invoice_id: string; amount: string }>;
  write_off: { amount: string; reason: WriteOffReason; rule_id: string | null } | null;
  reversal_of: string | null;
  basis_unallocated: string;
  superseded_at: Date | null;
  suggested_at: Date | null;
  reversal_transaction_id: string | null;
}

/** The suggestions, locked, with their exception's state (and a reversal's transaction). */
function lockSuggestions(m: EntityManager, ids: string[]): Promise<StoredSuggestion[]> {
  return m.query<StoredSuggestion[]>(
    `SELECT s.id, s.transaction_id, s.kind, s.score::text AS score, s.invoices, s.write_off,
            s.reversal_of, s.basis_unallocated, s.superseded_at, e.suggested_at,
            r.transaction_id AS reversal_transaction_id
       FROM suggestions s
       LEFT JOIN transaction_exceptions e ON e.transaction_id = s.transaction_id
       LEFT JOIN transaction_matches r ON r.id = s.reversal_of
      WHERE s.id = ANY($1::uuid[]) ORDER BY s.id FOR UPDATE OF s`,
    [ids],
  );
}

function ledgerTransactions(stored: readonly StoredSuggestion[]): string[] {
  const ids = new Set<string>();
  for (const s of stored) {
    ids.add(s.transaction_id);
    if (s.reversal_transaction_id) ids.add(s.reversal_transaction_id);
  }
  return [...ids];
}

/**
 * One stored suggestion into the ledger, exactly as shown, or a 409 before anything is changed
 * (every check comes before the first allocation, so a batch can skip it and go on). The
 * transaction must be matchable.
 */
/** Which suggestion each allocation made applies, for the allocations' audit entries. */
function appliedBy(
  done: Array<{ s: StoredSuggestion; made: string[] }>,
  automatic: boolean,
): Map<string, AppliedSuggestion> {
  const by = new Map<string, AppliedSuggestion>();
  for (const { s, made } of done) {
    for (const id of made) by.set(id, { id: s.id, kind: s.kind, score: s.score, automatic });
  }
  return by;
}

function applyStored(
  ledger: MatchLedger,
  s: StoredSuggestion,
  actor: Actor,
  auto: boolean,
): string[] {
  if (s.superseded_at || !s.suggested_at) throw staleSuggestion();
  const tx = ledger.transaction(s.transaction_id)!;
  if (s.reversal_of) {
    if (!ledger.match(s.reversal_of)?.live) throw staleSuggestion();
    ledger.reverse(s.reversal_of, actor, `refunded by transaction ${s.transaction_id}`);
    ledger.reasons.set(s.transaction_id, null);
    ledger.setNotApplicable(s.transaction_id, true);
    return [];
  }
  const currency = tx.currency as string;
  if (compareMoney(ledger.unallocated(tx.id), s.basis_unallocated, currency) !== 0) {
    throw staleSuggestion();
  }
  for (const invoice of s.invoices) {
    const open = ledger.invoice(invoice.invoice_id);
    const needed = s.write_off
      ? addMoney(invoice.amount, s.write_off.amount, currency)
      : invoice.amount;
    // A write-off settles the invoice only if exactly that much is still outstanding.
    const room = open ? compareMoney(open.outstanding, needed, currency) : -1;
    if (!open || open.status === 'cancelled' || room < 0 || (s.write_off && room !== 0)) {
      throw staleSuggestion();
    }
  }
  const note = `suggestion ${s.id} (${s.kind}, score ${s.score})${auto ? ', applied automatically' : ''}`;
  const made: string[] = [];
  for (const invoice of s.invoices) {
    const allocation = ledger.allocate(
      tx.id,
      invoice.invoice_id,
      invoice.amount,
      'suggestion',
      note,
    );
    made.push(allocation.id);
    if (s.write_off) {
      ledger.writeOff(allocation, s.write_off.amount, s.write_off.reason, s.write_off.rule_id);
    }
  }
  ledger.decide(tx.id);
  return made;
}

function staleSuggestion(): ProblemException {
  return conflict(
    'suggestion-stale',
    'The money moved since this suggestion was made; GET the suggestions again for the current ones',
  );
}

function conflict(slug: string, detail: string): ProblemException {
  return new ProblemException(HttpStatus.CONFLICT, slug, detail);
}
