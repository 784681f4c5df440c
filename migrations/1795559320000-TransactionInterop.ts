import { MigrationInterface, QueryRunner } from 'typeorm';

const EVENT_JSON_BEFORE = `CREATE OR REPLACE FUNCTION bank_sync_transaction_json(t transactions) RETURNS jsonb
  LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(ROW(
      t.id, t.bank_id, t.external_id, bank_sync_money(t.amount, t.currency), t.currency,
      t.direction, bank_sync_iso(t.occurred_at), t.reference, t.description, t.counterparty,
      t.source, t.status, t.bank_status, t.match_status,
      bank_sync_money(t.unallocated_amount, t.currency), t.attempts, t.last_error,
      bank_sync_iso(t.created_at), bank_sync_iso(t.processed_at))::bank_sync_transaction_event)
  $$`;

/**
 * What sources send beside the seed fields (issue 18): Up's foreignAmount, settledAt and
 * holdInfo amount, and the payer's account (seed field `counterparty_account`, statements).
 * A transaction of amount 0 is stored (Up books them) and is `not_applicable` to matching.
 * The event payload carries the new fields (and raw_text) like the API's transaction does.
 */
export class TransactionInterop1795559320000 implements MigrationInterface {
  name = 'TransactionInterop1795559320000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD "counterparty_account" text, ADD "foreign_amount" numeric(20,4), ADD "foreign_currency" character(3), ADD "settled_at" TIMESTAMP(3) WITH TIME ZONE, ADD "hold_amount" numeric(20,4), ADD "hold_currency" character(3)`,
    );
    await queryRunner.query(`ALTER TABLE "transactions" DROP CONSTRAINT "ck_transactions_amount"`);
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "ck_transactions_amount" CHECK (amount IS NULL OR amount >= 0)`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" DROP CONSTRAINT "ck_transactions_match_status"`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "ck_transactions_match_status" CHECK (match_status IN ('unmatched', 'partially_allocated', 'matched', 'not_applicable'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "ck_transactions_extra_amounts" CHECK ((foreign_amount IS NULL OR foreign_amount >= 0) AND (hold_amount IS NULL OR hold_amount >= 0))`,
    );
    await queryRunner.query(`ALTER TYPE bank_sync_transaction_event
  ADD ATTRIBUTE raw_text text, ADD ATTRIBUTE counterparty_account text,
  ADD ATTRIBUTE foreign_amount text, ADD ATTRIBUTE foreign_currency character(3),
  ADD ATTRIBUTE settled_at text, ADD ATTRIBUTE hold_amount text,
  ADD ATTRIBUTE hold_currency character(3)`);
    await queryRunner.query(`CREATE OR REPLACE FUNCTION bank_sync_transaction_json(t transactions) RETURNS jsonb
  LANGUAGE sql STABLE AS $$
    SELECT to_jsonb(ROW(
      t.id, t.bank_id, t.external_id, bank_sync_money(t.amount, t.currency), t.currency,
      t.direction, bank_sync_iso(t.occurred_at), t.reference, t.description, t.counterparty,
      t.source, t.status, t.bank_status, t.match_status,
      bank_sync_money(t.unallocated_amount, t.currency), t.attempts, t.last_error,
      bank_sync_iso(t.created_at), bank_sync_iso(t.processed_at), t.raw_text,
      t.counterparty_account, bank_sync_money(t.foreign_amount, t.foreign_currency),
      t.foreign_currency, bank_sync_iso(t.settled_at),
      bank_sync_money(t.hold_amount, t.hold_currency), t.hold_currency)::bank_sync_transaction_event)
  $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The old schema cannot hold a zero amount: refuse rather than delete a bank's records.
    await queryRunner.query(`DO $$ BEGIN
  IF EXISTS (SELECT 1 FROM transactions WHERE amount = 0) THEN
    RAISE EXCEPTION 'transactions of amount 0 exist; the previous schema cannot hold them';
  END IF;
END $$`);
    // Attributes first: the old function body is checked against the type it casts to.
    await queryRunner.query(`ALTER TYPE bank_sync_transaction_event
  DROP ATTRIBUTE hold_currency, DROP ATTRIBUTE hold_amount, DROP ATTRIBUTE settled_at,
  DROP ATTRIBUTE foreign_currency, DROP ATTRIBUTE foreign_amount,
  DROP ATTRIBUTE counterparty_account, DROP ATTRIBUTE raw_text`);
    await queryRunner.query(EVENT_JSON_BEFORE);
    await queryRunner.query(
      `ALTER TABLE "transactions" DROP CONSTRAINT "ck_transactions_extra_amounts"`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" DROP CONSTRAINT "ck_transactions_match_status"`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "ck_transactions_match_status" CHECK (match_status IN ('unmatched', 'partially_allocated', 'matched'))`,
    );
    await queryRunner.query(`ALTER TABLE "transactions" DROP CONSTRAINT "ck_transactions_amount"`);
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "ck_transactions_amount" CHECK (amount IS NULL OR amount > 0)`,
    );
    await queryRunner.query(
      `ALTER TABLE "transactions" DROP COLUMN "hold_currency", DROP COLUMN "hold_amount", DROP COLUMN "settled_at", DROP COLUMN "foreign_currency", DROP COLUMN "foreign_amount", DROP COLUMN "counterparty_account"`,
    );
  }
}
