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

/** Only a manual or accepted allocation is the actor's own; what the rules add is the system's. */
function allocationActor(rule: AllocationRule, context: AuditContext): AuditActor {
  return rule === 'manual' || rule === 'suggestion' ? context.actor : SYSTEM;
}

export function ledgerAuditEntries(ledger: MatchLedger, context: AuditContext): AuditEntry[] {
  const entries: AuditEntry[] = [];
  const allocationActors = new Map<string, AuditActor>();
  for (const a of ledger.newAllocations) {
    const actor = allocationActor(a.rule, context);
    allocationActors.set(a.id, actor);
    const data: Record<string, unknown> = {
      transaction_id: a.transactionId,
      invoice_id: a.invoiceId,
      amount: a.amount,
      currency: a.currency,
      rule: a.rule,
      run_id: context.runId,
      note: a.note,
    };
    const applied = a.rule === 'suggestion' ? context.suggestions?.get(a.id) : undefined;
    if (applied) {
      data.suggestion_id = applied.id;
      data.kind = applied.kind;
      data.score = applied.score;
      data.automatic = applied.automatic;
    }
    entries.push({
      actor,
      action: 'allocation.created',
      entity: 'allocation',
      entityId: a.id,
      data,
    });
  }
  for (const w of ledger.newWriteOffs) {
    entries.push({
      actor: allocationActors.get(w.matchId) ?? SYSTEM,
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
