import { MigrationInterface, QueryRunner } from 'typeorm';

/** A run whose pull failed for some bank finishes `partial` (issue 18), not `succeeded`. */
export class RunPartial1795559310000 implements MigrationInterface {
  name = 'RunPartial1795559310000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "reconciliation_runs" DROP CONSTRAINT "ck_reconciliation_runs_status"`,
    );
    await queryRunner.query(
      `ALTER TABLE "reconciliation_runs" ADD CONSTRAINT "ck_reconciliation_runs_status" CHECK (status IN ('running', 'succeeded', 'partial', 'failed'))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // A partial run did finish its match step; 'succeeded' is what it was recorded as before.
    await queryRunner.query(
      `UPDATE "reconciliation_runs" SET status = 'succeeded' WHERE status = 'partial'`,
    );
    await queryRunner.query(
      `ALTER TABLE "reconciliation_runs" DROP CONSTRAINT "ck_reconciliation_runs_status"`,
    );
    await queryRunner.query(
      `ALTER TABLE "reconciliation_runs" ADD CONSTRAINT "ck_reconciliation_runs_status" CHECK (status IN ('running', 'succeeded', 'failed'))`,
    );
  }
}
