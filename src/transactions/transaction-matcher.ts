/**
 * What background processing needs from reconciliation. Processing calls it after a
 * transaction's details are final and committed; the reconciliation module provides it.
 */
export const TRANSACTION_MATCHER = Symbol('TRANSACTION_MATCHER');

export interface TransactionMatcher {
  /** Tries to allocate these PROCESSED transactions to invoices (real-time matching). */
  matchTransactions(transactionIds: string[]): Promise<void>;
  /** The bank withdrew the transaction: reverse its live allocations with this reason. */
  reverseAllocations(transactionId: string, reason: string): Promise<void>;
}
