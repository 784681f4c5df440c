import { MigrationInterface, QueryRunner } from 'typeorm';

export class Events1795558859200 implements MigrationInterface {
  name = 'Events1795558859200';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "outbox_events" ("id" uuid NOT NULL, "type" text NOT NULL, "data" jsonb NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "dispatched_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_6689a16c00d09b8089f6237f1d2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_outbox_undispatched" ON "outbox_events"  ("created_at") WHERE dispatched_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_subscriptions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "url" text NOT NULL, "events" text array NOT NULL, "description" text, "enabled" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_bf631ae77d39849d599817fb6f4" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "subscription_secrets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subscription_id" uuid NOT NULL, "secret" text NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_5707a072a37e1eaf12031e91bd8" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_subscription_secrets_subscription" ON "subscription_secrets"  ("subscription_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subscription_id" uuid NOT NULL, "event_id" uuid NOT NULL, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP(3) WITH TIME ZONE, "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "ck_webhook_deliveries_status" CHECK (status IN ('pending', 'delivered', 'dead')), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webhook_deliveries_subscription" ON "webhook_deliveries"  ("subscription_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries"  ("next_attempt_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_webhook_deliveries_event_subscription" ON "webhook_deliveries"  ("event_id", "subscription_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "delivery_attempts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "delivery_id" uuid NOT NULL, "attempted_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "response_status" integer, "latency_ms" integer NOT NULL, "error" text, CONSTRAINT "PK_41eba4eb5401d72860f7cd9a7ac" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_delivery_attempts_delivery" ON "delivery_attempts"  ("delivery_id") `,
    );
    // Event data in the API's shapes, built where the change happens (same statement, same
    // transaction). test/events.e2e-spec.ts checks them against the API's answers.
    await queryRunner.query(`CREATE FUNCTION bank_sync_money(amount numeric, currency text) RETURNS text
            LANGUAGE sql IMMUTABLE AS $$
              SELECT CASE WHEN amount IS NULL THEN NULL ELSE round(amount, CASE
                WHEN currency IN ('BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF') THEN 0
                WHEN currency IN ('BHD','IQD','JOD','KWD','LYD','OMR','TND') THEN 3
                WHEN currency IN ('CLF','UYW') THEN 4
                ELSE 2 END)::text END
            $$`);
    await queryRunner.query(`CREATE FUNCTION bank_sync_iso(t timestamptz) RETURNS text
            LANGUAGE sql IMMUTABLE AS $$
              SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
            $$`);
    await queryRunner.query(`CREATE FUNCTION bank_sync_transaction_json(t transactions) RETURNS jsonb
            LANGUAGE sql STABLE AS $$
              SELECT jsonb_build_object(
                'id', t.id, 'bank_id', t.bank_id, 'external_id', t.external_id,
                'amount', bank_sync_money(t.amount, t.currency), 'currency', t.currency,
                'direction', t.direction, 'occurred_at', bank_sync_iso(t.occurred_at),
                'reference', t.reference, 'description', t.description,
                'counterparty', t.counterparty, 'source', t.source, 'status', t.status,
                'bank_status', t.bank_status, 'match_status', t.match_status,
                'unallocated_amount', bank_sync_money(t.unallocated_amount, t.currency),
                'attempts', t.attempts, 'last_error', t.last_error,
                'created_at', bank_sync_iso(t.created_at), 'processed_at', bank_sync_iso(t.processed_at))
            $$`);
    await queryRunner.query(`CREATE FUNCTION bank_sync_invoice_json(i invoices) RETURNS jsonb
            LANGUAGE sql STABLE AS $$
              SELECT jsonb_build_object(
                'id', i.id, 'invoice_number', i.invoice_number, 'customer', i.customer,
                'currency', i.currency, 'amount_due', bank_sync_money(i.amount_due, i.currency),
                'amount_paid', bank_sync_money(i.amount_paid, i.currency),
                'amount_outstanding', bank_sync_money(CASE WHEN i.status = 'cancelled' THEN 0
                                                      ELSE i.amount_due - i.amount_paid END, i.currency),
                'status', i.status, 'due_date', to_char(i.due_date, 'YYYY-MM-DD'),
                'created_at', bank_sync_iso(i.created_at), 'updated_at', bank_sync_iso(i.updated_at),
                'cancelled_at', bank_sync_iso(i.cancelled_at), 'cancelled_by', i.cancelled_by)
            $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION bank_sync_invoice_json(invoices)`);
    await queryRunner.query(`DROP FUNCTION bank_sync_transaction_json(transactions)`);
    await queryRunner.query(`DROP FUNCTION bank_sync_iso(timestamptz)`);
    await queryRunner.query(`DROP FUNCTION bank_sync_money(numeric, text)`);
    await queryRunner.query(`DROP INDEX "public"."ix_delivery_attempts_delivery"`);
    await queryRunner.query(`DROP TABLE "delivery_attempts"`);
    await queryRunner.query(`DROP INDEX "public"."uq_webhook_deliveries_event_subscription"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_deliveries_due"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_deliveries_subscription"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subscription_secrets_subscription"`);
    await queryRunner.query(`DROP TABLE "subscription_secrets"`);
    await queryRunner.query(`DROP TABLE "webhook_subscriptions"`);
    await queryRunner.query(`DROP INDEX "public"."ix_outbox_undispatched"`);
    await queryRunner.query(`DROP TABLE "outbox_events"`);
  }
}
