import { MigrationInterface, QueryRunner } from 'typeorm';
import { deletionKeys } from '../src/reconciliation/suggestions/near-reference';
import { partyKey } from '../src/reconciliation/suggestions/party';

const REASONS = `'bank_fee', 'rounding', 'fx_difference', 'discount', 'other'`;
const BACKFILL_BATCH = 5_000;

/**
 * Suggestions, write-offs and refunds (issue 19): the tables, the invoices' written-off amount
 * and customer key, and the lookup keys of existing invoices, computed by the same functions the
 * service uses (so a key computed here is one the service finds).
 */
export class Suggestions1795559400000 implements MigrationInterface {
  name = 'Suggestions1795559400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "invoices" ADD "customer_key" text, ADD "amount_written_off" numeric(20,4) NOT NULL DEFAULT '0'`,
    );
    await q.query(`ALTER TABLE "invoices" DROP CONSTRAINT "ck_invoices_status_paid"`);
    await q.query(`ALTER TABLE "invoices" DROP CONSTRAINT "ck_invoices_amount_paid"`);
    await q.query(
      `ALTER TABLE "invoices" ADD CONSTRAINT "ck_invoices_amount_paid" CHECK (amount_paid >= 0 AND amount_written_off >= 0 AND amount_paid + amount_written_off <= amount_due)`,
    );
    await q.query(
      `ALTER TABLE "invoices" ADD CONSTRAINT "ck_invoices_status_paid" CHECK ((status = 'cancelled' AND amount_paid = 0 AND amount_written_off = 0) OR status = CASE WHEN amount_paid + amount_written_off = 0 THEN 'pending' WHEN amount_paid + amount_written_off < amount_due THEN 'partially_paid' ELSE 'paid' END)`,
    );
    await q.query(
      `CREATE INDEX "ix_invoices_open_customer" ON "invoices" ("customer_key", "currency", "created_at", "id") WHERE status IN ('pending', 'partially_paid') AND customer_key IS NOT NULL`,
    );

    await q.query(
      `ALTER TABLE "transaction_exceptions" DROP CONSTRAINT "ck_transaction_exceptions_reason"`,
    );
    await q.query(
      `ALTER TABLE "transaction_exceptions" ADD CONSTRAINT "ck_transaction_exceptions_reason" CHECK (reason IN ('no_reference', 'unknown_invoice', 'currency_mismatch', 'invoice_cancelled', 'invoice_already_paid', 'ambiguous', 'overpayment', 'refund'))`,
    );
    await q.query(
      `ALTER TABLE "transaction_exceptions" ADD "suggested_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await q.query(
      `CREATE INDEX "ix_transaction_exceptions_unsuggested" ON "transaction_exceptions" ("created_at", "transaction_id") WHERE suggested_at IS NULL`,
    );

    await q.query(
      `ALTER TABLE "transaction_matches" DROP CONSTRAINT "ck_transaction_matches_rule"`,
    );
    await q.query(
      `ALTER TABLE "transaction_matches" ADD CONSTRAINT "ck_transaction_matches_rule" CHECK (rule IN ('single', 'multi', 'manual', 'suggestion', 'write_off'))`,
    );
    // Debits are looked at once (a refund, or not_applicable), so runs read debits too.
    await q.query(`DROP INDEX "public"."ix_transactions_match_candidates"`);
    await q.query(
      `CREATE INDEX "ix_transactions_match_candidates" ON "transactions" ("created_at", "id") WHERE status = 'PROCESSED' AND ((direction = 'credit' AND unallocated_amount > 0) OR (direction = 'debit' AND match_status = 'unmatched'))`,
    );

    await q.query(
      `CREATE TABLE "write_off_rules" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "currency" character(3) NOT NULL, "max_amount" numeric(20,4) NOT NULL, "max_percent" numeric(7,4), "reason" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "created_by" text NOT NULL, "deleted_at" TIMESTAMP(3) WITH TIME ZONE, "deleted_by" text, CONSTRAINT "ck_write_off_rules_max_percent" CHECK (max_percent IS NULL OR (max_percent > 0 AND max_percent <= 100)), CONSTRAINT "ck_write_off_rules_max_amount" CHECK (max_amount > 0), CONSTRAINT "ck_write_off_rules_reason" CHECK (reason IN (${REASONS})), CONSTRAINT "PK_write_off_rules" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "ix_write_off_rules_live" ON "write_off_rules" ("currency") WHERE deleted_at IS NULL`,
    );
    await q.query(
      `CREATE TABLE "write_offs" ("id" uuid NOT NULL, "match_id" uuid NOT NULL, "invoice_id" uuid NOT NULL, "amount" numeric(20,4) NOT NULL, "currency" character(3) NOT NULL, "reason" text NOT NULL, "rule_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "reversed_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "UQ_write_offs_match" UNIQUE ("match_id"), CONSTRAINT "ck_write_offs_reason" CHECK (reason IN (${REASONS})), CONSTRAINT "ck_write_offs_amount" CHECK (amount > 0), CONSTRAINT "PK_write_offs" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_write_offs_invoice" ON "write_offs" ("invoice_id")`);
    await q.query(
      `CREATE TABLE "suggestions" ("id" uuid NOT NULL, "transaction_id" uuid NOT NULL, "key" text NOT NULL, "rank" smallint NOT NULL, "kind" text NOT NULL, "score" numeric(4,3) NOT NULL, "invoices" jsonb NOT NULL, "invoice_ids" uuid array NOT NULL, "write_off" jsonb, "reversal_of" uuid, "evidence" jsonb NOT NULL, "basis_unallocated" numeric(20,4) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "superseded_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_suggestions" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `CREATE INDEX "ix_suggestions_transaction" ON "suggestions" ("transaction_id", "rank") WHERE superseded_at IS NULL`,
    );
    // Which current suggestions name an invoice whose money just moved (`invoice_ids && $1`).
    await q.query(
      `CREATE INDEX "ix_suggestions_invoice_ids" ON "suggestions" USING gin ("invoice_ids") WHERE superseded_at IS NULL`,
    );
    await q.query(
      `CREATE TABLE "suggestion_declines" ("transaction_id" uuid NOT NULL, "key" text NOT NULL, "reason" text NOT NULL, "declined_by" text NOT NULL, "declined_by_key_id" uuid, "declined_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_suggestion_declines" PRIMARY KEY ("transaction_id", "key"))`,
    );
    await q.query(
      `CREATE TABLE "party_accounts" ("customer_key" text NOT NULL, "account" text NOT NULL, "confirmed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_party_accounts" PRIMARY KEY ("customer_key", "account"))`,
    );
    await q.query(`CREATE INDEX "ix_party_accounts_account" ON "party_accounts" ("account")`);
    await q.query(
      `CREATE TABLE "invoice_near_keys" ("key" text NOT NULL, "invoice_id" uuid NOT NULL, CONSTRAINT "PK_invoice_near_keys" PRIMARY KEY ("key", "invoice_id"))`,
    );
    await q.query(
      `ALTER TABLE "write_offs" ADD CONSTRAINT "FK_3fd41f4ba40ec12ca8b7bc4fe77" FOREIGN KEY ("match_id") REFERENCES "transaction_matches"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "write_offs" ADD CONSTRAINT "FK_27235521f7c5f33e7c03013d093" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "write_offs" ADD CONSTRAINT "FK_c94da750585a6a937ca33c2da93" FOREIGN KEY ("rule_id") REFERENCES "write_off_rules"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "suggestions" ADD CONSTRAINT "FK_a4c3b29ffa624f157a464d816e3" FOREIGN KEY ("transaction_id") REFERENCES "transactions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "suggestion_declines" ADD CONSTRAINT "FK_69f0900d73970efbbbf4af1354f" FOREIGN KEY ("transaction_id") REFERENCES "transactions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "invoice_near_keys" ADD CONSTRAINT "FK_0ee2973bde306c531949c674149" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // Invoice events show what was written off; outstanding is what is neither paid nor written off.
    await q.query(`ALTER TYPE bank_sync_invoice_event ADD ATTRIBUTE amount_written_off text`);
    await q.query(INVOICE_JSON(true));
    await backfill(q);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TYPE bank_sync_invoice_event DROP ATTRIBUTE amount_written_off`);
    await q.query(INVOICE_JSON(false));
    await q.query(`DROP INDEX "public"."ix_transactions_match_candidates"`);
    await q.query(
      `CREATE INDEX "ix_transactions_match_candidates" ON "transactions" ("created_at", "id") WHERE status = 'PROCESSED' AND direction = 'credit' AND unallocated_amount > 0`,
    );
    await q.query(
      `UPDATE "transactions" SET match_status = 'unmatched' WHERE match_status = 'not_applicable' AND direction = 'debit' AND amount > 0`,
    );
    await q.query(`DROP TABLE "invoice_near_keys"`);
    await q.query(`DROP TABLE "party_accounts"`);
    await q.query(`DROP TABLE "suggestion_declines"`);
    await q.query(`DROP TABLE "suggestions"`);
    await q.query(`DROP TABLE "write_offs"`);
    await q.query(`DROP TABLE "write_off_rules"`);
    await q.query(
      `ALTER TABLE "transaction_matches" DROP CONSTRAINT "ck_transaction_matches_rule"`,
    );
    await q.query(
      `ALTER TABLE "transaction_matches" ADD CONSTRAINT "ck_transaction_matches_rule" CHECK (rule IN ('single', 'multi', 'manual'))`,
    );
    await q.query(`DROP INDEX "public"."ix_transaction_exceptions_unsuggested"`);
    await q.query(`ALTER TABLE "transaction_exceptions" DROP COLUMN "suggested_at"`);
    await q.query(`DELETE FROM "transaction_exceptions" WHERE reason = 'refund'`);
    await q.query(
      `ALTER TABLE "transaction_exceptions" DROP CONSTRAINT "ck_transaction_exceptions_reason"`,
    );
    await q.query(
      `ALTER TABLE "transaction_exceptions" ADD CONSTRAINT "ck_transaction_exceptions_reason" CHECK (reason IN ('no_reference', 'unknown_invoice', 'currency_mismatch', 'invoice_cancelled', 'invoice_already_paid', 'ambiguous', 'overpayment'))`,
    );
    await q.query(`DROP INDEX "public"."ix_invoices_open_customer"`);
    await q.query(`ALTER TABLE "invoices" DROP CONSTRAINT "ck_invoices_status_paid"`);
    await q.query(`ALTER TABLE "invoices" DROP CONSTRAINT "ck_invoices_amount_paid"`);
    await q.query(
      `ALTER TABLE "invoices" ADD CONSTRAINT "ck_invoices_amount_paid" CHECK (amount_paid >= 0 AND amount_paid <= amount_due)`,
    );
    await q.query(
      `ALTER TABLE "invoices" ADD CONSTRAINT "ck_invoices_status_paid" CHECK ((status = 'cancelled' AND amount_paid = 0) OR status = CASE WHEN amount_paid = 0 THEN 'pending' WHEN amount_paid < amount_due THEN 'partially_paid' ELSE 'paid' END)`,
    );
    await q.query(
      `ALTER TABLE "invoices" DROP COLUMN "amount_written_off", DROP COLUMN "customer_key"`,
    );
  }
}

/** The invoice event payload (FasterEventJson), with or without the written-off amount. */
function INVOICE_JSON(writtenOff: boolean): string {
  const off = writtenOff ? ' - i.amount_written_off' : '';
  const extra = writtenOff ? ',\n      bank_sync_money(i.amount_written_off, i.currency)' : '';
  return `CREATE OR REPLACE FUNCTION bank_sync_invoice_json(i invoices) RETURNS jsonb
  LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(ROW(
      i.id, i.invoice_number, i.customer, i.currency,
      bank_sync_money(i.amount_due, i.currency), bank_sync_money(i.amount_paid, i.currency),
      bank_sync_money(CASE WHEN i.status = 'cancelled' THEN 0
                           ELSE i.amount_due - i.amount_paid${off} END, i.currency),
      i.status, to_char(i.due_date, 'YYYY-MM-DD'), bank_sync_iso(i.created_at),
      bank_sync_iso(i.updated_at), bank_sync_iso(i.cancelled_at),
      i.cancelled_by${extra})::bank_sync_invoice_event)
  $$`;
}

/** Keys of the invoices that exist already, a batch at a time (keyset by id). */
async function backfill(q: QueryRunner): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await q.manager.query<
      Array<{ id: string; customer: string | null; normalized_number: string }>
    >(`SELECT id, customer, normalized_number FROM invoices WHERE id > $1 ORDER BY id LIMIT $2`, [
      after,
      BACKFILL_BATCH,
    ]);
    if (rows.length === 0) return;
    after = rows[rows.length - 1].id;
    await q.manager.query(
      `UPDATE invoices i SET customer_key = v.key
         FROM unnest($1::uuid[], $2::text[]) AS v(id, key) WHERE i.id = v.id AND v.key IS NOT NULL`,
      [rows.map((r) => r.id), rows.map((r) => partyKey(r.customer))],
    );
    const ids: string[] = [];
    const keys: string[] = [];
    for (const row of rows) {
      for (const key of deletionKeys(row.normalized_number)) {
        ids.push(row.id);
        keys.push(key);
      }
    }
    await q.query(
      `INSERT INTO invoice_near_keys (key, invoice_id) SELECT * FROM unnest($1::text[], $2::uuid[])
       ON CONFLICT DO NOTHING`,
      [keys, ids],
    );
  }
}
