import { formatAmount } from '../common/money';
import type { ExceptionReason } from './matcher';
import type { ReconciliationRunEntity } from './reconciliation-run.entity';
import type { ExceptionDto, MatchDto, RunDto } from './reconciliation.dto';
import type { AllocationRule } from './transaction-match.entity';

export function toRunDto(run: ReconciliationRunEntity): RunDto {
  return {
    id: run.id,
    trigger: run.trigger,
    status: run.status,
    started_by: run.startedBy,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt ? run.finishedAt.toISOString() : null,
    pulled_count: run.pulledCount,
    matched_count: run.matchedCount,
    unmatched_count: run.unmatchedCount,
    matched_transaction_ids: run.matchedTransactionIds,
    unmatched_transaction_ids: run.unmatchedTransactionIds,
    ids_truncated: run.idsTruncated,
    banks: run.banks,
    error: run.error,
  };
}

/** A transaction_matches row joined with its invoice number, as `MATCH_SELECT` reads it. */
export interface MatchRow {
  id: string;
  transaction_id: string;
  invoice_id: string;
  invoice_number: string;
  amount: string;
  currency: string;
  rule: AllocationRule;
  run_id: string | null;
  created_by: string;
  note: string | null;
  created_at: Date;
  reversed_at: Date | null;
  reversed_by: string | null;
  reversal_reason: string | null;
}

export const MATCH_SELECT = `SELECT m.id, m.transaction_id, m.invoice_id, i.invoice_number, m.amount,
       m.currency, m.rule, m.run_id, m.created_by, m.note, m.created_at, m.reversed_at,
       m.reversed_by, m.reversal_reason
  FROM transaction_matches m JOIN invoices i ON i.id = m.invoice_id`;

export function toMatchDto(row: MatchRow): MatchDto {
  return {
    id: row.id,
    transaction_id: row.transaction_id,
    invoice_id: row.invoice_id,
    invoice_number: row.invoice_number,
    amount: formatAmount(row.amount, row.currency),
    currency: row.currency,
    rule: row.rule,
    run_id: row.run_id,
    created_by: row.created_by,
    note: row.note,
    created_at: row.created_at.toISOString(),
    live: row.reversed_at === null,
    reversed_at: row.reversed_at ? row.reversed_at.toISOString() : null,
    reversed_by: row.reversed_by,
    reversal_reason: row.reversal_reason,
  };
}

export interface ExceptionRow {
  transaction_id: string;
  external_id: string;
  bank_id: string;
  reason: ExceptionReason;
  amount: string;
  unallocated_amount: string;
  currency: string;
  reference: string | null;
  description: string | null;
  occurred_at: Date | null;
  created_at: Date;
}

export function toExceptionDto(row: ExceptionRow): ExceptionDto {
  return {
    transaction_id: row.transaction_id,
    external_id: row.external_id,
    bank_id: row.bank_id,
    reason: row.reason,
    amount: formatAmount(row.amount, row.currency),
    unallocated_amount: formatAmount(row.unallocated_amount, row.currency),
    currency: row.currency,
    reference: row.reference,
    description: row.description,
    occurred_at: row.occurred_at ? row.occurred_at.toISOString() : null,
  };
}
