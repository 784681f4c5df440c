import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the events retention job (`EVENTS_RETENTION_DAYS`): finished deliveries by the
 * end of their retry window, and relayed outbox events by age. Both are partial: a row enters
 * them when the relay or the delivery worker updates it (updates that already write every index
 * of the row), so the intake's insert of an outbox event never touches them.
 *
 * Built CONCURRENTLY, outside a transaction: a plain CREATE INDEX would block the intake's
 * inserts into a large outbox for as long as the build takes (deliveries answered 503), and
 * without the 30 s statement_timeout, which a large build can outlast. A build that failed half
 * way leaves an invalid index; running the migration again drops it first.
 */
export class EventRetention1795559100000 implements MigrationInterface {
  name = 'EventRetention1795559100000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SET statement_timeout = 0`);
    try {
      for (const [name, ddl] of [
        [
          'ix_webhook_deliveries_finished',
          `ON "webhook_deliveries" ("expires_at") WHERE status <> 'pending'`,
        ],
        ['ix_outbox_relayed', `ON "outbox_events" ("created_at") WHERE dispatched_at IS NOT NULL`],
      ]) {
        await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."${name}"`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY "${name}" ${ddl}`);
      }
    } finally {
      await queryRunner.query(`RESET statement_timeout`);
    }
  }

  // Plain drops: a revert may run inside a transaction, and dropping is quick.
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_outbox_relayed"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_webhook_deliveries_finished"`);
  }
}
