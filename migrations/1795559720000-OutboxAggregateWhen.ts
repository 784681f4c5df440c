import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox's aggregate trigger (DebeziumOutbox) runs only for a row that does not name its
 * aggregate. The intake's statement, which writes most events (two per payment), names it
 * itself (`transaction`, the transaction's id), so its rows no longer pay a PL/pgSQL call each;
 * every other writer still names only `id, type, payload` and the trigger fills the rest.
 */
export class OutboxAggregateWhen1795559720000 implements MigrationInterface {
  name = 'OutboxAggregateWhen1795559720000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "tr_outbox_events_aggregate" ON "outbox_events"`);
    await queryRunner.query(
      `CREATE TRIGGER "tr_outbox_events_aggregate" BEFORE INSERT ON "outbox_events"
         FOR EACH ROW WHEN (NEW.aggregatetype IS NULL OR NEW.aggregateid IS NULL)
         EXECUTE FUNCTION bank_sync_outbox_aggregate()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "tr_outbox_events_aggregate" ON "outbox_events"`);
    await queryRunner.query(
      `CREATE TRIGGER "tr_outbox_events_aggregate" BEFORE INSERT ON "outbox_events"
         FOR EACH ROW EXECUTE FUNCTION bank_sync_outbox_aggregate()`,
    );
  }
}
