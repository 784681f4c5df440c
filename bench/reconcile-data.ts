/**
 * The reconciliation data of the benches, generated set-based in SQL (never row by row): the
 * reconcile part of run.ts (the exact-rule run) and the suggestion speed part (suggest-speed.ts)
 * seed the same invoices, so their times compare.
 */

// CASCADE: whatever else refers to these (a statement's entries) goes too, on this schema and on
// an older one that a --base comparison runs.
export const RESET_SQL = `TRUNCATE write_offs, suggestions, suggestion_declines, party_accounts,
  invoice_near_keys, transaction_matches, transaction_exceptions, reconciliation_runs,
  invoices, transactions, webhook_events CASCADE`;

// n invoices INV-0000001.., n PROCESSED credit transactions naming one each: 9 in 10 pay the
// invoice exactly, 1 in 10 pays half (a partial payment). Arrival order = number order. 997
// customers (a prime): a customer's invoices have different amounts (100 of them, 5000..5990).
export const GENERATE_SQL = [
  `INSERT INTO invoices (invoice_number, normalized_number, customer, currency, amount_due)
   SELECT 'INV-' || lpad(g::text, 7, '0'), 'inv' || lpad(g::text, 7, '0'),
          'Customer ' || (g % 997), 'NGN', 5000 + (g % 100) * 10
     FROM generate_series(1, $1::int) AS g`,
  `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                             reference, description, counterparty, source, status,
                             unallocated_amount, processed_at, created_at, updated_at)
   SELECT 'default', 'rb-' || g, a, 'NGN', 'credit', timestamptz '2026-02-27 12:00:00Z',
          'INV-' || lpad(g::text, 7, '0'), 'Payment', 'Customer ' || (g % 997), 'webhook',
          'PROCESSED', a, now(), timestamptz '2026-03-01 00:00:00Z' + g * interval '1 millisecond',
          now()
     FROM generate_series(1, $1::int) AS g,
          LATERAL (SELECT CASE WHEN g % 10 = 0 THEN (5000 + (g % 100) * 10) / 2.0
                               ELSE 5000 + (g % 100) * 10 END AS a) AS amt`,
];

// The limit: one set-based statement doing the single-invoice rule (exact or partial payment by
// normalized reference): allocations inserted, transactions and invoices updated. It assumes
// what the generated data guarantees (one transaction per invoice, the reference holds only
// the number); the service handles the general case (several texts, several invoices, races).
export const MATCH_SQL = `
WITH cand AS (
  SELECT t.id AS tid, i.id AS iid, t.currency, t.unallocated_amount AS un,
         i.amount_due, i.amount_paid,
         least(t.unallocated_amount, i.amount_due - i.amount_paid) AS amt
    FROM transactions t
    JOIN invoices i
      ON i.normalized_number = lower(regexp_replace(t.reference, '[[:space:]_/.-]+', '', 'g'))
   WHERE t.status = 'PROCESSED' AND t.direction = 'credit'
     AND t.bank_status IS DISTINCT FROM 'HELD' AND t.amount IS NOT NULL
     AND t.unallocated_amount > 0
     AND i.status IN ('pending', 'partially_paid') AND i.currency = t.currency
), m AS (
  INSERT INTO transaction_matches (transaction_id, invoice_id, amount, currency, rule, created_by)
  SELECT tid, iid, amt, currency, 'single', 'bench-sql' FROM cand
), ut AS (
  UPDATE transactions t
     SET unallocated_amount = c.un - c.amt,
         match_status = CASE WHEN c.un - c.amt = 0 THEN 'matched' ELSE 'partially_allocated' END,
         updated_at = now()
    FROM cand c WHERE t.id = c.tid
)
UPDATE invoices i
   SET amount_paid = c.amount_paid + c.amt,
       status = CASE WHEN c.amount_paid + c.amt >= c.amount_due THEN 'paid' ELSE 'partially_paid' END,
       updated_at = now()
  FROM cand c WHERE i.id = c.iid`;
