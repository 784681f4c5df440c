import { MigrationInterface, QueryRunner } from 'typeorm';

export class Reconciliation1795557969246 implements MigrationInterface {
  name = 'Reconciliation1795557969246';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "invoices" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "invoice_number" text NOT NULL, "normalized_number" text NOT NULL, "customer" text, "currency" character(3) NOT NULL, "amount_due" numeric(20,4) NOT NULL, "amount_paid" numeric(20,4) NOT NULL DEFAULT '0', "status" text NOT NULL DEFAULT 'pending', "due_date" date, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "cancelled_at" TIMESTAMP(3) WITH TIME ZONE, "cancelled_by" text, CONSTRAINT "ck_invoices_status_paid" CHECK ((status = 'cancelled' AND amount_paid = 0) OR status = CASE WHEN amount_paid = 0 THEN 'pending' WHEN amount_paid < amount_due THEN 'partially_paid' ELSE 'paid' END), CONSTRAINT "ck_invoices_amount_paid" CHECK (amount_paid >= 0 AND amount_paid <= amount_due), CONSTRAINT "ck_invoices_amount_due" CHECK (amount_due > 0), CONSTRAINT "ck_invoices_status" CHECK (status IN ('pending', 'partially_paid', 'paid', 'cancelled')), CONSTRAINT "PK_668cef7c22a427fd822cc1be3ce" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_invoices_status_created" ON "invoices"  ("status", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_invoices_created" ON "invoices"  ("created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_normalized_number" ON "invoices"  ("normalized_number") `,
    );
    await queryRunner.query(
      `CREATE TABLE "reconciliation_runs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "trigger" text NOT NULL, "status" text NOT NULL DEFAULT 'running', "started_by" text, "started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP(3) WITH TIME ZONE, "pulled_count" integer NOT NULL DEFAULT '0', "matched_count" integer NOT NULL DEFAULT '0', "unmatched_count" integer NOT NULL DEFAULT '0', "matched_transaction_ids" uuid array NOT NULL, "unmatched_transaction_ids" uuid array NOT NULL, "ids_truncated" boolean NOT NULL DEFAULT false, "banks" jsonb NOT NULL, "error" text, CONSTRAINT "ck_reconciliation_runs_status" CHECK (status IN ('running', 'succeeded', 'failed')), CONSTRAINT "ck_reconciliation_runs_trigger" CHECK (trigger IN ('manual', 'scheduled')), CONSTRAINT "PK_4edbdb165c9e754997036a4176a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reconciliation_runs_started" ON "reconciliation_runs"  ("started_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_reconciliation_runs_running" ON "reconciliation_runs"  ("status") WHERE status = 'running'`,
    );
    await queryRunner.query(
      `CREATE TABLE "transaction_exceptions" ("transaction_id" uuid NOT NULL, "reason" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_transaction_exceptions_reason" CHECK (reason IN ('no_reference', 'unknown_invoice', 'currency_mismatch', 'invoice_cancelled', 'invoice_already_paid', 'ambiguous', 'overpayment')), CONSTRAINT "PK_200cfdb77f2d68ba02688151029" PRIMARY KEY ("transaction_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transaction_exceptions_reason" ON "transaction_exceptions"  ("reason", "created_at", "transaction_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transaction_exceptions_created" ON "transaction_exceptions"  ("created_at", "transaction_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "transaction_matches" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "transaction_id" uuid NOT NULL, "invoice_id" uuid NOT NULL, "amount" numeric(20,4) NOT NULL, "currency" character(3) NOT NULL, "rule" text NOT NULL, "run_id" uuid, "created_by" text NOT NULL, "created_by_key_id" uuid, "note" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "reversed_at" TIMESTAMP(3) WITH TIME ZONE, "reversed_by" text, "reversed_by_key_id" uuid, "reversal_reason" text, CONSTRAINT "ck_transaction_matches_reversal" CHECK ((reversed_at IS NULL) = (reversed_by IS NULL) AND (reversed_at IS NULL) = (reversal_reason IS NULL)), CONSTRAINT "ck_transaction_matches_rule" CHECK (rule IN ('single', 'multi', 'manual')), CONSTRAINT "ck_transaction_matches_amount" CHECK (amount > 0), CONSTRAINT "PK_82bcf5b862b464493f45345e134" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transaction_matches_run" ON "transaction_matches"  ("run_id", "created_at", "id") WHERE run_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transaction_matches_invoice" ON "transaction_matches"  ("invoice_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transaction_matches_transaction" ON "transaction_matches"  ("transaction_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "transaction_exceptions" ADD CONSTRAINT "FK_200cfdb77f2d68ba02688151029" FOREIGN KEY ("transaction_id") REFERENCES "transactions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transaction_matches" ADD CONSTRAINT "FK_07f8ca34d2f01663baf58377829" FOREIGN KEY ("transaction_id") REFERENCES "transactions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transaction_matches" ADD CONSTRAINT "FK_61bfccf4654d9be4dc3d85da3f2" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transaction_matches" ADD CONSTRAINT "FK_450dbd79df9fd381ba00b658b29" FOREIGN KEY ("run_id") REFERENCES "reconciliation_runs"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "transaction_matches" DROP CONSTRAINT "FK_450dbd79df9fd381ba00b658b29"`,
    );
    await queryRunner.query(
      `ALTER TABLE "transaction_matches" DROP CONSTRAINT "FK_61bfccf4654d9be4dc3d85da3f2"`,
    );
    await queryRunner.query(
      `ALTER TABLE "transaction_matches" DROP CONSTRAINT "FK_07f8ca34d2f01663baf58377829"`,
    );
    await queryRunner.query(
      `ALTER TABLE "transaction_exceptions" DROP CONSTRAINT "FK_200cfdb77f2d68ba02688151029"`,
    );
    await queryRunner.query(`DROP INDEX "public"."ix_transaction_matches_transaction"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transaction_matches_invoice"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transaction_matches_run"`);
    await queryRunner.query(`DROP TABLE "transaction_matches"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transaction_exceptions_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transaction_exceptions_reason"`);
    await queryRunner.query(`DROP TABLE "transaction_exceptions"`);
    await queryRunner.query(`DROP INDEX "public"."uq_reconciliation_runs_running"`);
    await queryRunner.query(`DROP INDEX "public"."ix_reconciliation_runs_started"`);
    await queryRunner.query(`DROP TABLE "reconciliation_runs"`);
    await queryRunner.query(`DROP INDEX "public"."uq_invoices_normalized_number"`);
    await queryRunner.query(`DROP INDEX "public"."ix_invoices_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_invoices_status_created"`);
    await queryRunner.query(`DROP TABLE "invoices"`);
  }
}
