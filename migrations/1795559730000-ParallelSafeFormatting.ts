import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The SQL functions that spell amounts and times the way the API does are pure (`round`,
 * `to_char`, `AT TIME ZONE`), but were created with PostgreSQL's default, PARALLEL UNSAFE, which
 * keeps any query that calls them on one process. An export's `COPY (SELECT …) TO STDOUT` may
 * run in parallel (PostgreSQL plans COPY's query with parallel workers allowed): marked SAFE,
 * the workers format their share of the rows before the sort and the Gather Merge, instead of
 * the leader formatting all of them (docs/ARCHITECTURE.md, "Audit log and exports decisions (issue 20)").
 */
export class ParallelSafeFormatting1795559730000 implements MigrationInterface {
  name = 'ParallelSafeFormatting1795559730000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER FUNCTION bank_sync_iso(timestamptz) PARALLEL SAFE`);
    await queryRunner.query(`ALTER FUNCTION bank_sync_money(numeric, text) PARALLEL SAFE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER FUNCTION bank_sync_money(numeric, text) PARALLEL UNSAFE`);
    await queryRunner.query(`ALTER FUNCTION bank_sync_iso(timestamptz) PARALLEL UNSAFE`);
  }
}
