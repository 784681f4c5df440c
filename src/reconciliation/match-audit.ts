/**
 * The audit entries of one matching unit of work, from what its ledger changed (pure). Written by
 * `writeLedger` in the same transaction as the allocations themselves.
 */
import type { AuditActor, AuditEntry } from '../audit/audit-log';
import { formatAmount } from '../common/money';
import { type MatchLedger, SYSTEM_ACTOR_NAME } from './match-ledger';
import type { AllocationRule } from './transaction-match.entity';

/** The suggestion a unit of work applies, for its allocations' entries. */
export interface AppliedSuggestion {
  id: string;
  kind: string;
  score: string;
  automatic: boolean;
}

export interface AuditContext {
  actor: AuditActor;
  runId: string | null;
  /** The suggestion each allocation applies, by allocation id (one unit may apply several). */
  suggestions?: ReadonlyMap<string, AppliedSuggestion>;
}

const SYSTEM: AuditActor = { name: SYSTEM_ACTOR_NAME, keyId: null };

/**
 * Who made an allocation: only a manual or accepted one is the actor's own; what the rules
 * decided in the same request (the rest of a transaction a person matched in part) is the
 * system's. The allocation's `created_by`, its audit entry's actor and its write-off's.
 */
export function allocationActor(rule: AllocationRule, context: AuditContext): AuditActor {
  return rule === 'manual' || rule === 'suggestion' ? context.actor : SYSTEM;
}

/**
 * What an allocation's `allocation.created` entry adds to its row, in allocation order: the
 * suggestion it applies, or null. The rest of the entry (actor, transaction, invoice, amount,
 * currency, rule, run, note) is written from the allocation's own row, in the statement that
 * inserts it (`writeLedger`): a run's thousand entries are not built and parsed again as JSON.
 */
export function allocationAuditExtras(
  ledger: MatchLedger,
  context: AuditContext,
): Array<Record<string, unknown> | null> {
  return ledger.newAllocations.map((a) => {
    const applied = a.rule === 'suggestion' ? context.suggestions?.get(a.id) : undefined;
    if (!applied) return null;
    return {
      suggestion_id: applied.id,
      kind: applied.kind,
      score: applied.score,
      automatic: applied.automatic,
    };
  });
}

/** The entries of the write-offs and reversals (the allocations' are `allocationAuditExtras`). */
export function ledgerAuditEntries(ledger: MatchLedger, context: AuditContext): AuditEntry[] {
  const entries: AuditEntry[] = [];
  // A write-off is its allocation's: the same actor (most batches have none, so no lookup).
  const rules =
    ledger.newWriteOffs.length > 0
      ? new Map(ledger.newAllocations.map((a) => [a.id, a.rule]))
      : undefined;
  for (const w of ledger.newWriteOffs) {
    const rule = rules?.get(w.matchId);
    entries.push({
      actor: rule ? allocationActor(rule, context) : SYSTEM,
      action: 'write_off.created',
      entity: 'write_off',
      entityId: w.id,
      data: {
        allocation_id: w.matchId,
        invoice_id: w.invoiceId,
        amount: w.amount,
        currency: w.currency,
        reason: w.reason,
        rule_id: w.ruleId,
      },
    });
  }
  for (const r of ledger.reversals) {
    const match = ledger.match(r.matchId);
    const currency = match ? ledger.invoice(match.invoice_id)?.currency : undefined;
    if (!match || !currency) continue; // reverse() refuses an allocation it has not loaded
    entries.push({
      actor: r.actor,
      action: 'allocation.reversed',
      entity: 'allocation',
      entityId: r.matchId,
      data: {
        transaction_id: match.transaction_id,
        invoice_id: match.invoice_id,
        amount: formatAmount(match.amount, currency),
        currency,
        reason: r.reason,
      },
    });
    if (r.writeOff) {
      entries.push({
        actor: r.actor,
        action: 'write_off.reversed',
        entity: 'write_off',
        entityId: r.writeOff.id,
        data: {
          allocation_id: r.matchId,
          invoice_id: r.writeOff.invoice_id,
          amount: formatAmount(r.writeOff.amount, currency),
          currency,
        },
      });
    }
  }
  return entries;
}
