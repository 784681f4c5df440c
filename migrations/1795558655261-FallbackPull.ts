import { MigrationInterface, QueryRunner } from 'typeorm';

export class FallbackPull1795558655261 implements MigrationInterface {
  name = 'FallbackPull1795558655261';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "bank_pull_cursors" ("bank_id" text NOT NULL, "since" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_success_at" TIMESTAMP(3) WITH TIME ZONE, "last_error" text, "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_28456b21816fe363342fc4de2fe" PRIMARY KEY ("bank_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "scheduled_ticks" ("tick_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "claimed_by" text NOT NULL, "claimed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5ca7034f9fdf8cf7559bef9ccaa" PRIMARY KEY ("tick_at"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_transactions_match_candidates" ON "transactions"  ("created_at", "id") WHERE status = 'PROCESSED' AND direction = 'credit' AND unallocated_amount > 0`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_transactions_match_candidates"`);
    await queryRunner.query(`DROP TABLE "scheduled_ticks"`);
    await queryRunner.query(`DROP TABLE "bank_pull_cursors"`);
  }
}
