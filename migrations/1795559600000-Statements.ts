import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bank statements (issue 21): uploaded files (once per bank and SHA-256), their statements and
 * entries (each entry with what it became), a bank's CSV mapping; transactions may come from
 * a statement (source 'statement').
 */
export class Statements1795559600000 implements MigrationInterface {
  name = 'Statements1795559600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "statement_files" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bank_id" text NOT NULL, "format" text NOT NULL, "file_sha256" bytea, "byte_size" bigint NOT NULL, "answer" jsonb, "created_by" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_01de75e577d882b1e0818f2cc4c" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_statement_files_bank_created" ON "statement_files"  ("bank_id", "created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_statement_files_bank_sha" ON "statement_files"  ("bank_id", "file_sha256")`,
    );
    await queryRunner.query(
      `CREATE TABLE "statements" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "file_id" uuid NOT NULL, "bank_id" text NOT NULL, "seq" integer NOT NULL, "account" text, "currency" character(3), "period_start" date, "period_end" date, "opening_balance" numeric(20,4), "closing_balance" numeric(20,4), "entries_count" integer NOT NULL DEFAULT '0', "new_count" integer NOT NULL DEFAULT '0', "known_count" integer NOT NULL DEFAULT '0', "balance_check" text, "gap_expected_opening" numeric(20,4), "gap_previous_statement_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_statements_balance_check" CHECK (balance_check IS NULL OR balance_check IN ('ok', 'mismatch')), CONSTRAINT "PK_7f53bcddeb706df7ea7eec10b8d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_statements_bank_account" ON "statements"  ("bank_id", "account", "period_end")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_statements_file" ON "statements"  ("file_id", "seq")`,
    );
    await queryRunner.query(
      `CREATE TABLE "statement_entries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "statement_id" uuid NOT NULL, "bank_id" text NOT NULL, "seq" integer NOT NULL, "account" text, "booking_date" date NOT NULL, "amount" numeric(20,4) NOT NULL, "currency" character(3) NOT NULL, "direction" text NOT NULL, "reversal" boolean NOT NULL DEFAULT false, "bank_ref" text, "reference" text, "description" text, "counterparty" text, "counterparty_account" text, "location" text NOT NULL, "external_id" text NOT NULL, "outcome" text, "transaction_id" uuid, CONSTRAINT "ck_statement_entries_outcome" CHECK (outcome IS NULL OR outcome IN ('new', 'known')), CONSTRAINT "ck_statement_entries_direction" CHECK (direction IN ('credit', 'debit')), CONSTRAINT "PK_ae8ae259282b22ef81326a98824" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_statement_entries_transaction" ON "statement_entries"  ("transaction_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_statement_entries_bank_day" ON "statement_entries"  ("bank_id", "booking_date")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_statement_entries_statement" ON "statement_entries"  ("statement_id", "seq")`,
    );
    await queryRunner.query(
      `CREATE TABLE "bank_csv_mappings" ("bank_id" text NOT NULL, "mapping" jsonb NOT NULL, "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f0510a354a2eedc9d724252dab5" PRIMARY KEY ("bank_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "statement_files" ADD CONSTRAINT "FK_53d9d68105a55eab17884cc66ad" FOREIGN KEY ("bank_id") REFERENCES "banks"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "statements" ADD CONSTRAINT "FK_20b73a14827c654963e543bfabe" FOREIGN KEY ("file_id") REFERENCES "statement_files"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "statement_entries" ADD CONSTRAINT "FK_d5c934a152fe70b37b6fb546a28" FOREIGN KEY ("statement_id") REFERENCES "statements"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "statement_entries" ADD CONSTRAINT "FK_e1e64fe7ba14906e1da4450ab8a" FOREIGN KEY ("transaction_id") REFERENCES "transactions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "bank_csv_mappings" ADD CONSTRAINT "FK_f0510a354a2eedc9d724252dab5" FOREIGN KEY ("bank_id") REFERENCES "banks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "transactions" DROP CONSTRAINT "ck_transactions_source"`);
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "ck_transactions_source" CHECK (source IN ('webhook', 'pull', 'statement'))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "transactions" DROP CONSTRAINT "ck_transactions_source"`);
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD CONSTRAINT "ck_transactions_source" CHECK (source IN ('webhook', 'pull'))`,
    );
    await queryRunner.query(`DROP TABLE "bank_csv_mappings"`);
    await queryRunner.query(`DROP TABLE "statement_entries"`);
    await queryRunner.query(`DROP TABLE "statements"`);
    // Refused (foreign keys) while such a transaction has allocations: nothing is lost quietly.
    await queryRunner.query(`DELETE FROM "transactions" WHERE source = 'statement'`);
    await queryRunner.query(`DROP TABLE "statement_files"`);
  }
}
