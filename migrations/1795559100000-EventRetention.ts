import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the events retention job (`EVENTS_RETENTION_DAYS`): finished deliveries by the
 * end of their retry window, and relayed outbox events by age. Both are partial: a row enters
 * them when the relay or the delivery worker updates it (updates that already write every index
 * of the row), so the intake's insert of an outbox event never touches them.
 */
export class EventRetention1795559100000 implements MigrationInterface {
  name = 'EventRetention1795559100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_webhook_deliveries_finished" ON "webhook_deliveries" ("expires_at") WHERE status <> 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_outbox_relayed" ON "outbox_events" ("created_at") WHERE dispatched_at IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_outbox_relayed"`);
    await queryRunner.query(`DROP INDEX "public"."ix_webhook_deliveries_finished"`);
  }
}
