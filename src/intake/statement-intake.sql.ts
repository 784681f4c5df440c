/**
 * Which staged entries ($1: the bank) are transactions already stored, for the whole file at
 * once, before any of it is written: `tx_id` of the entry in `statement_stage`.
 *
 * Known (the contract's rule): the bank's transaction id, or the entry's fingerprint, equals a
 * stored external_id; without a bank id, account (where the stored one has one), booking date
 * within ±2 days, amount, direction, currency and reference agree. The k identical entries of
 * an account and day pair with the stored candidates one to one (the n-th entry with the n-th
 * nearest candidate), and only when there are at most k candidates: more is ambiguous, and
 * the entry is stored as new rather than guessed onto another payment. Over the whole file
 * (k and n are the file's), so the chunks below cannot split a group of identical entries.
 */
export const STATEMENT_KNOWN_SQL = `
WITH by_id AS (
  SELECT s.ord, t.id AS tx_id
    FROM statement_stage s JOIN transactions t ON t.bank_id = $1 AND t.external_id = s.external_id
), loose AS (
  SELECT s.ord, s.account, s.booking_date, s.amount, s.direction, s.currency, s.reference,
         row_number() OVER w AS n,
         count(*) OVER (PARTITION BY s.account, s.booking_date, s.amount, s.direction, s.currency,
                                     s.reference) AS k
    FROM statement_stage s
   WHERE s.bank_ref IS NULL AND NOT EXISTS (SELECT 1 FROM by_id b WHERE b.ord = s.ord)
  WINDOW w AS (PARTITION BY s.account, s.booking_date, s.amount, s.direction, s.currency,
                            s.reference ORDER BY s.ord)
), cand AS (
  SELECT l.ord, l.n, l.k, t.id AS tx_id,
         row_number() OVER (PARTITION BY l.ord
                            ORDER BY abs((t.occurred_at AT TIME ZONE 'UTC')::date - l.booking_date),
                                     t.occurred_at, t.id) AS r,
         count(*) OVER (PARTITION BY l.ord) AS c
    FROM loose l
    JOIN transactions t
      ON t.bank_id = $1 AND t.amount = l.amount AND t.direction = l.direction
     AND t.currency = l.currency AND t.reference IS NOT DISTINCT FROM l.reference
     AND (t.occurred_at AT TIME ZONE 'UTC')::date BETWEEN l.booking_date - 2 AND l.booking_date + 2
     AND t.status <> 'VOIDED'
     -- A transaction another account's statement already holds is not this account's.
     AND NOT EXISTS (SELECT 1 FROM statement_entries o
                      WHERE o.transaction_id = t.id AND o.account IS DISTINCT FROM l.account)
), paired AS (
  SELECT DISTINCT ON (tx_id) ord, tx_id
    FROM cand WHERE r = n AND c <= k
   ORDER BY tx_id, ord
), known AS (
  SELECT ord, tx_id FROM by_id
  UNION ALL
  SELECT ord, tx_id FROM paired
)
UPDATE statement_stage s SET tx_id = k.tx_id FROM known k WHERE s.ord = k.ord`;

/**
 * One chunk of the staged entries ($1: the bank, ord in [$2, $3)) through the intake, in the
 * upload's own transaction: an entry not known above is stored as a new transaction (source
 * 'statement', PENDING: the worker processes and matches it like a webhook's) with its
 * `transaction.received` outbox event, and the entry is written to `statement_entries` once,
 * with what it became. Answers how many entries it left open: one whose insert met a
 * transaction committed meanwhile (a webhook of the same id), or a later entry of a bank id an
 * earlier chunk stored; `STATEMENT_INTAKE_REST_SQL` settles those.
 */
export const STATEMENT_CHUNK_SQL = `
WITH c AS (
  SELECT s.*, row_number() OVER (PARTITION BY s.external_id ORDER BY s.ord) AS nth
    FROM statement_stage s WHERE s.ord >= $2 AND s.ord < $3
), ins AS (
  INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                            reference, description, counterparty, counterparty_account, source,
                            status, unallocated_amount, match_status)
  SELECT $1, external_id, amount, currency, direction,
         booking_date::timestamp AT TIME ZONE 'UTC', reference, description, counterparty,
         counterparty_account, 'statement', 'PENDING', amount,
         CASE WHEN amount = 0 THEN 'not_applicable' ELSE 'unmatched' END
    FROM c WHERE tx_id IS NULL AND nth = 1
   ORDER BY ord
  ON CONFLICT (bank_id, external_id) DO NOTHING
  RETURNING id, external_id, bank_sync_transaction_json(transactions) AS json
), outbox AS (
  -- The aggregate named here, as the webhooks' statement does: the outbox trigger skips them.
  INSERT INTO outbox_events (id, type, payload, aggregatetype, aggregateid)
  SELECT gen_random_uuid(), 'transaction.received', json, 'transaction', id::text FROM ins
), ent AS (
  INSERT INTO statement_entries (statement_id, bank_id, seq, account, booking_date, amount,
                                 currency, direction, reversal, bank_ref, reference, description,
                                 counterparty, counterparty_account, location, external_id,
                                 outcome, transaction_id)
  SELECT c.statement_id, $1, c.seq, c.account, c.booking_date, c.amount, c.currency, c.direction,
         c.reversal, c.bank_ref, c.reference, c.description, c.counterparty,
         c.counterparty_account, c.location, c.external_id,
         CASE WHEN c.tx_id IS NOT NULL THEN 'known'
              WHEN i.id IS NULL THEN NULL
              WHEN c.nth = 1 THEN 'new' ELSE 'known' END,
         coalesce(c.tx_id, i.id)
    FROM c LEFT JOIN ins i ON c.tx_id IS NULL AND i.external_id = c.external_id
   ORDER BY c.ord
  RETURNING outcome
)
SELECT (count(*) FILTER (WHERE outcome IS NULL))::int AS open FROM ent`;

/** What the chunks left open ($1: the file id); see `STATEMENT_CHUNK_SQL`. */
export const STATEMENT_INTAKE_REST_SQL = `
UPDATE statement_entries se SET outcome = 'known', transaction_id = t.id
  FROM statements s, transactions t
 WHERE se.statement_id = s.id AND s.file_id = $1 AND se.outcome IS NULL
   AND t.bank_id = se.bank_id AND t.external_id = se.external_id`;
