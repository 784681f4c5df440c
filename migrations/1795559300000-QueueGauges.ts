import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the queue gauges of /metrics (`bank_sync_queue_depth`): FAILED transactions and
 * dead-lettered deliveries, counted at every scrape. Without them each count reads the whole
 * table. Both are partial: the intake inserts PENDING transactions, which never enter
 * `ix_transactions_failed` (PostgreSQL only evaluates its predicate), and `status` is already
 * in the predicates of other indexes of both tables, so no update that was HOT stops being so.
 *
 * Built CONCURRENTLY, outside a transaction and without the statement timeout, like
 * EventRetention: a plain CREATE INDEX would hold off the intake's inserts for the build.
 */
export class QueueGauges1795559300000 implements MigrationInterface {
  name = 'QueueGauges1795559300000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET statement_timeout = 0`);
    try {
      for (const [name, ddl] of [
        ['ix_transactions_failed', `ON "transactions" ("created_at") WHERE status = 'FAILED'`],
        [
          'ix_webhook_deliveries_dead',
          `ON "webhook_deliveries" ("created_at") WHERE status = 'dead'`,
        ],
      ]) {
        await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."${name}"`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY "${name}" ${ddl}`);
      }
    } finally {
      await queryRunner.query(`RESET statement_timeout`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_webhook_deliveries_dead"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_transactions_failed"`);
  }
}
