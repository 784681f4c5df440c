import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the events retention job (`EVENTS_RETENTION_DAYS`): finished deliveries by the
 * end of their retry window, and relayed outbox events by age. The outbox's is a BRIN index:
 * events are written in `created_at` order by the intake's hot statement, and a BRIN index adds
 * nothing to an insert into a block range not yet summarised.
 */
export class EventRetention1795559100000 implements MigrationInterface {
  name = 'EventRetention1795559100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_webhook_deliveries_finished" ON "webhook_deliveries" ("expires_at") WHERE status <> 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_outbox_created_brin" ON "outbox_events" USING brin ("created_at")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_outbox_created_brin"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_deliveries_finished"`);
  }
}
