/**
 * A statement file's staged entries ($1: the file id) through the intake, in the upload's own
 * transaction: each entry is found among the stored transactions of its bank, else stored as a
 * new one (source 'statement', PENDING: the worker processes and matches it like a webhook's)
 * with its `transaction.received` outbox event; every entry is marked with what it became.
 *
 * Known (the contract's rule): the bank's transaction id, or the entry's fingerprint, equals a
 * stored external_id; without a bank id, account (where the stored one has one), booking date
 * within ±2 days, amount, direction, currency and reference agree. The k identical entries of
 * an account and day pair with the stored candidates one to one (the n-th entry with the n-th
 * nearest candidate), and only when there are at most k candidates: more is ambiguous, and
 * the entry is stored as new rather than guessed onto another payment.
 */
export const STATEMENT_INTAKE_SQL = `
WITH e AS (
  SELECT se.*, s.seq AS statement_seq
    FROM statement_entries se JOIN statements s ON s.id = se.statement_id
   WHERE s.file_id = $1
), by_id AS (
  SELECT e.id AS entry_id, t.id AS tx_id
    FROM e JOIN transactions t ON t.bank_id = e.bank_id AND t.external_id = e.external_id
), loose AS (
  SELECT e.*,
         row_number() OVER w AS n,
         count(*) OVER (PARTITION BY e.account, e.booking_date, e.amount, e.direction, e.currency,
                                     e.reference) AS k
    FROM e
   WHERE e.bank_ref IS NULL AND NOT EXISTS (SELECT 1 FROM by_id b WHERE b.entry_id = e.id)
  WINDOW w AS (PARTITION BY e.account, e.booking_date, e.amount, e.direction, e.currency,
                            e.reference ORDER BY e.statement_seq, e.seq)
), cand AS (
  SELECT l.id AS entry_id, l.n, l.k, t.id AS tx_id,
         row_number() OVER (PARTITION BY l.id
                            ORDER BY abs((t.occurred_at AT TIME ZONE 'UTC')::date - l.booking_date),
                                     t.occurred_at, t.id) AS r,
         count(*) OVER (PARTITION BY l.id) AS c
    FROM loose l
    JOIN transactions t
      ON t.bank_id = l.bank_id AND t.amount = l.amount AND t.direction = l.direction
     AND t.currency = l.currency AND t.reference IS NOT DISTINCT FROM l.reference
     AND (t.occurred_at AT TIME ZONE 'UTC')::date BETWEEN l.booking_date - 2 AND l.booking_date + 2
     AND t.status <> 'VOIDED'
     -- A transaction another account's statement already holds is not this account's.
     AND NOT EXISTS (SELECT 1 FROM statement_entries o
                      WHERE o.transaction_id = t.id AND o.account IS DISTINCT FROM l.account)
), paired AS (
  SELECT DISTINCT ON (tx_id) entry_id, tx_id
    FROM cand WHERE r = n AND c <= k
   ORDER BY tx_id, entry_id
), known AS (
  SELECT entry_id, tx_id FROM by_id
  UNION ALL
  SELECT entry_id, tx_id FROM paired
), fresh AS (
  SELECT e.*, row_number() OVER (PARTITION BY e.external_id ORDER BY e.statement_seq, e.seq) AS first
    FROM e WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.entry_id = e.id)
), ins AS (
  INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                            reference, description, counterparty, counterparty_account, source,
                            status, unallocated_amount, match_status)
  SELECT bank_id, external_id, amount, currency, direction,
         booking_date::timestamp AT TIME ZONE 'UTC', reference, description, counterparty,
         counterparty_account, 'statement', 'PENDING', amount,
         CASE WHEN amount = 0 THEN 'not_applicable' ELSE 'unmatched' END
    FROM fresh WHERE first = 1
   ORDER BY statement_seq, seq
  ON CONFLICT (bank_id, external_id) DO NOTHING
  RETURNING id, external_id, bank_sync_transaction_json(transactions) AS json
), outbox AS (
  INSERT INTO outbox_events (id, type, payload)
  SELECT gen_random_uuid(), 'transaction.received', json FROM ins
), outcome AS (
  SELECT entry_id, tx_id, 'known' AS outcome FROM known
  UNION ALL
  SELECT f.id, ins.id, 'new' FROM fresh f JOIN ins ON ins.external_id = f.external_id
   WHERE f.first = 1
)
UPDATE statement_entries se SET outcome = o.outcome, transaction_id = o.tx_id
  FROM outcome o WHERE se.id = o.entry_id`;

/**
 * What the statement above left open: an entry whose insert met a transaction committed
 * meanwhile (a webhook of the same id), or a second entry of one bank id in the file.
 */
export const STATEMENT_INTAKE_REST_SQL = `
UPDATE statement_entries se SET outcome = 'known', transaction_id = t.id
  FROM statements s, transactions t
 WHERE se.statement_id = s.id AND s.file_id = $1 AND se.outcome IS NULL
   AND t.bank_id = se.bank_id AND t.external_id = se.external_id`;
