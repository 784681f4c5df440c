import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox in the column shape of Debezium's outbox event router (`id`, `aggregatetype`,
 * `aggregateid`, `type`, `payload`), so Kafka users stream it with Debezium and Kafka Connect
 * (docs/ARCHITECTURE.md, "Event bus decisions (issue 22)"), and a commit-order `seq` for the
 * relay (JetStream gets each transaction's events in the order they were written).
 *
 * `aggregatetype` / `aggregateid` are filled by a BEFORE INSERT trigger from the event's type
 * and payload, so every statement that writes an event (a dozen, most of them one SQL statement
 * with the change) names only `id, type, payload`. They are real columns, not generated ones:
 * PostgreSQL 17's logical replication (pgoutput, which Debezium reads) does not publish
 * generated columns.
 *
 * Quick on a large outbox: renaming and adding nullable columns rewrite nothing, the NOT NULL
 * rules are CHECKs marked NOT VALID (enforced for every new row, old rows not scanned), and only
 * the events not yet relayed get a `seq`. The relay's index on `seq` is built CONCURRENTLY by the
 * next migration.
 */
export class DebeziumOutbox1795559700000 implements MigrationInterface {
  name = 'DebeziumOutbox1795559700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "outbox_events" RENAME COLUMN "data" TO "payload"`);
    await queryRunner.query(
      `ALTER TABLE "outbox_events" ADD "aggregatetype" text, ADD "aggregateid" text, ADD "seq" bigint`,
    );
    await queryRunner.query(
      `CREATE SEQUENCE "outbox_events_seq_seq" OWNED BY "outbox_events"."seq"`,
    );
    await queryRunner.query(
      `ALTER TABLE "outbox_events" ALTER COLUMN "seq" SET DEFAULT nextval('"outbox_events_seq_seq"')`,
    );
    // Waiting events keep their order (created_at, then id for a stable tie-break).
    await queryRunner.query(
      `UPDATE "outbox_events" e SET seq = w.n
         FROM (SELECT id, nextval('"outbox_events_seq_seq"') AS n
                 FROM (SELECT id FROM "outbox_events" WHERE dispatched_at IS NULL
                        ORDER BY created_at, id) o) w
        WHERE e.id = w.id`,
    );
    // The aggregate an event is about: Debezium routes by its type (one Kafka topic each) and
    // keys by its id (one partition each, so a transaction's events stay in order).
    await queryRunner.query(`CREATE FUNCTION bank_sync_outbox_aggregate() RETURNS trigger
  LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.aggregatetype IS NULL THEN
      NEW.aggregatetype := CASE
        WHEN NEW.type LIKE 'transaction.%' OR NEW.type IN ('reconciliation.exception',
                                                           'reconciliation.suggested')
          THEN 'transaction'
        WHEN NEW.type LIKE 'invoice.%' THEN 'invoice'
        WHEN NEW.type = 'reconciliation.run_finished' THEN 'run'
        ELSE split_part(NEW.type, '.', 1) END;
    END IF;
    IF NEW.aggregateid IS NULL THEN
      NEW.aggregateid := coalesce(CASE NEW.aggregatetype
        WHEN 'transaction' THEN coalesce(NEW.payload->>'transaction_id', NEW.payload->>'id')
        WHEN 'invoice' THEN coalesce(NEW.payload->>'invoice_id', NEW.payload->>'id')
        ELSE NEW.payload->>'id' END, NEW.id::text);
    END IF;
    RETURN NEW;
  END $$`);
    await queryRunner.query(
      `CREATE TRIGGER "tr_outbox_events_aggregate" BEFORE INSERT ON "outbox_events"
         FOR EACH ROW EXECUTE FUNCTION bank_sync_outbox_aggregate()`,
    );
    await queryRunner.query(
      `ALTER TABLE "outbox_events" ADD CONSTRAINT "ck_outbox_events_debezium"
         CHECK (aggregatetype IS NOT NULL AND aggregateid IS NOT NULL AND seq IS NOT NULL) NOT VALID`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "outbox_events" DROP CONSTRAINT "ck_outbox_events_debezium"`,
    );
    await queryRunner.query(`DROP TRIGGER "tr_outbox_events_aggregate" ON "outbox_events"`);
    await queryRunner.query(`DROP FUNCTION bank_sync_outbox_aggregate()`);
    await queryRunner.query(
      `ALTER TABLE "outbox_events" DROP COLUMN "seq", DROP COLUMN "aggregateid", DROP COLUMN "aggregatetype"`,
    );
    await queryRunner.query(`ALTER TABLE "outbox_events" RENAME COLUMN "payload" TO "data"`);
  }
}
