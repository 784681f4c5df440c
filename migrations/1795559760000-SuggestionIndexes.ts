import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * "Which exceptions' current suggestions name these invoices?" (`invoice_ids && $1`, asked by
 * every allocation) is answered by the GIN index of invoice ids, as it was meant to be:
 *
 * - The index by transaction covers superseded suggestions too. As a partial index on
 *   `superseded_at IS NULL` it was the planner's other way to find current suggestions, and with
 *   the statistics of a table that grows fast it chose it: a bitmap of every current suggestion,
 *   each row's array then compared with the invoices (8 000 rows, 24 ms per allocation batch,
 *   bench/RESULTS.md, suggestion speed). Reads by transaction filter the few superseded rows.
 * - The GIN index stops using its pending list: with `fastupdate` each search read the whole
 *   unsorted list of entries not yet merged (up to `gin_pending_list_limit`), which the
 *   suggestion worker's writes keep full.
 */
export class SuggestionIndexes1795559760000 implements MigrationInterface {
  name = 'SuggestionIndexes1795559760000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_suggestions_transaction"`);
    await queryRunner.query(
      `CREATE INDEX "ix_suggestions_transaction" ON "suggestions" ("transaction_id", "rank") `,
    );
    await queryRunner.query(`ALTER INDEX "ix_suggestions_invoice_ids" SET (fastupdate = off)`);
    // Entries already pending are merged now, not by the next VACUUM.
    await queryRunner.query(`SELECT gin_clean_pending_list('ix_suggestions_invoice_ids')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "ix_suggestions_invoice_ids" RESET (fastupdate)`);
    await queryRunner.query(`DROP INDEX "ix_suggestions_transaction"`);
    await queryRunner.query(
      `CREATE INDEX "ix_suggestions_transaction" ON "suggestions" ("transaction_id", "rank") WHERE superseded_at IS NULL`,
    );
  }
}
