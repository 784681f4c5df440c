import { MigrationInterface, QueryRunner } from 'typeorm';

export class Intake1795557748459 implements MigrationInterface {
  name = 'Intake1795557748459';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "banks" ("id" text NOT NULL, "name" text NOT NULL, "signature_scheme" text NOT NULL, "event_id_header" text NOT NULL DEFAULT 'X-Event-Id', "signature_header" text NOT NULL DEFAULT 'X-Signature', "api_kind" text, "api_base_url" text, "api_token" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_banks_id" CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'), CONSTRAINT "ck_banks_api_kind" CHECK (api_kind IS NULL OR api_kind IN ('standard', 'up')), CONSTRAINT "ck_banks_scheme" CHECK (signature_scheme IN ('hmac-sha256', 'standard-webhooks', 'up')), CONSTRAINT "PK_3975b5f684ec241e3901db62d77" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "bank_secrets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bank_id" text NOT NULL, "secret" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_884b8bcbaaeb89d78b9db5c357d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_bank_secrets_active" ON "bank_secrets"  ("bank_id") WHERE revoked_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "transactions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bank_id" text NOT NULL, "external_id" text NOT NULL, "amount" numeric(20,4), "currency" character(3), "direction" text NOT NULL DEFAULT 'credit', "occurred_at" TIMESTAMP(3) WITH TIME ZONE, "reference" text, "description" text, "counterparty" text, "raw_text" text, "source" text NOT NULL DEFAULT 'webhook', "status" text NOT NULL DEFAULT 'PENDING', "bank_status" text, "needs_fetch" boolean NOT NULL DEFAULT false, "void_requested" boolean NOT NULL DEFAULT false, "details_url" text, "match_status" text NOT NULL DEFAULT 'unmatched', "unallocated_amount" numeric(20,4), "attempts" integer NOT NULL DEFAULT '0', "last_error" text, "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "ck_transactions_unallocated" CHECK (unallocated_amount IS NULL OR (unallocated_amount >= 0 AND unallocated_amount <= amount)), CONSTRAINT "ck_transactions_amount" CHECK (amount IS NULL OR amount > 0), CONSTRAINT "ck_transactions_source" CHECK (source IN ('webhook', 'pull')), CONSTRAINT "ck_transactions_direction" CHECK (direction IN ('credit', 'debit')), CONSTRAINT "ck_transactions_match_status" CHECK (match_status IN ('unmatched', 'partially_allocated', 'matched')), CONSTRAINT "ck_transactions_status" CHECK (status IN ('PENDING', 'PROCESSED', 'FAILED', 'VOIDED')), CONSTRAINT "PK_a219afd8dd77ed80f5a862f1db9" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transactions_created" ON "transactions"  ("created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transactions_due" ON "transactions"  ("next_attempt_at") WHERE status = 'PENDING'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_transactions_bank_external" ON "transactions"  ("bank_id", "external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bank_id" text NOT NULL, "event_id" text NOT NULL, "event_type" text, "external_transaction_id" text, "body" bytea NOT NULL, "body_sha256" bytea NOT NULL, "headers" jsonb NOT NULL, "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4cba37e6a0acb5e1fc49c34ebfd" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_events_bank_event" ON "webhook_events"  ("bank_id", "event_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "bank_secrets" ADD CONSTRAINT "FK_1332207f39f5796e1f97c533163" FOREIGN KEY ("bank_id") REFERENCES "banks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // The built-in partner bank; its secret comes from WEBHOOK_SECRET at run time.
    await queryRunner.query(
      `INSERT INTO "banks" ("id", "name", "signature_scheme") VALUES ('default', 'Default bank', 'hmac-sha256')`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "bank_secrets" DROP CONSTRAINT "FK_1332207f39f5796e1f97c533163"`,
    );
    await queryRunner.query(`DROP INDEX "public"."uq_webhook_events_bank_event"`);
    await queryRunner.query(`DROP TABLE "webhook_events"`);
    await queryRunner.query(`DROP INDEX "public"."uq_transactions_bank_external"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transactions_due"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transactions_created"`);
    await queryRunner.query(`DROP TABLE "transactions"`);
    await queryRunner.query(`DROP INDEX "public"."ix_bank_secrets_active"`);
    await queryRunner.query(`DROP TABLE "bank_secrets"`);
    await queryRunner.query(`DROP TABLE "banks"`);
  }
}
