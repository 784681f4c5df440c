import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Raw events and replay (issue 18).
 *
 * - `transactions.source_event_id`: the webhook event the transaction was stored from, written by
 *   the intake in the same INSERT (no query more per delivery). An event's `outcome` in
 *   `GET /webhook-events` is read from it: `created` when it is this event. No foreign key: its
 *   check would be one more index lookup per stored transaction on the intake's path. Rows
 *   stored before this migration get the earliest event that names them, which is the one that
 *   stored them unless two deliveries of one new transaction raced.
 * - Indexes for the raw-event list (newest first) and its `transaction_id` filter, and for the
 *   bulk retry of FAILED transactions (partial: a PENDING or PROCESSED row never enters it).
 *
 * Built CONCURRENTLY, outside a transaction, like EventRetention: the intake writes both tables,
 * and a plain CREATE INDEX would hold off its inserts for as long as the build takes.
 */
export class RawEvents1795559318000 implements MigrationInterface {
  name = 'RawEvents1795559318000';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Without a default, adding a nullable column only changes the catalog.
    await queryRunner.query(
      `ALTER TABLE "transactions" ADD COLUMN IF NOT EXISTS "source_event_id" uuid`,
    );
    await queryRunner.query(`SET statement_timeout = 0`);
    try {
      for (const [name, ddl] of [
        ['ix_webhook_events_received', `ON "webhook_events" ("received_at", "id")`],
        [
          'ix_webhook_events_transaction',
          `ON "webhook_events" ("bank_id", "external_transaction_id")`,
        ],
        [
          'ix_transactions_failed',
          `ON "transactions" ("bank_id", "occurred_at") WHERE status = 'FAILED'`,
        ],
      ]) {
        await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "public"."${name}"`);
        await queryRunner.query(`CREATE INDEX CONCURRENTLY "${name}" ${ddl}`);
      }
      await queryRunner.query(
        `UPDATE transactions t
            SET source_event_id = (SELECT e.id FROM webhook_events e
                                    WHERE e.bank_id = t.bank_id
                                      AND e.external_transaction_id = t.external_id
                                    ORDER BY e.received_at, e.id LIMIT 1)
          WHERE t.source_event_id IS NULL`,
      );
    } finally {
      await queryRunner.query(`RESET statement_timeout`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_transactions_failed"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_webhook_events_transaction"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."ix_webhook_events_received"`);
    await queryRunner.query(`ALTER TABLE "transactions" DROP COLUMN "source_event_id"`);
  }
}
