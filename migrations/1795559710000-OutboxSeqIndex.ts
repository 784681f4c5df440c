import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay reads waiting events in commit order (`seq`, DebeziumOutbox) instead of by
 * `created_at` (the start of the writing transaction, which two transactions about one invoice
 * can have in the other order). Built CONCURRENTLY for the reason EventRetention gives: a plain
 * build scans the whole outbox while holding back the intake's inserts.
 */
export class OutboxSeqIndex1795559710000 implements MigrationInterface {
  name = 'OutboxSeqIndex1795559710000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET statement_timeout = 0`);
    try {
      await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."ix_outbox_waiting"`);
      await queryRunner.query(
        `CREATE INDEX CONCURRENTLY "ix_outbox_waiting" ON "outbox_events" ("seq") WHERE dispatched_at IS NULL`,
      );
      await queryRunner.query(
        `DROP INDEX CONCURRENTLY IF EXISTS "public"."ix_outbox_undispatched"`,
      );
    } finally {
      await queryRunner.query(`RESET statement_timeout`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "ix_outbox_undispatched" ON "outbox_events" ("created_at") WHERE dispatched_at IS NULL`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_outbox_waiting"`);
  }
}
