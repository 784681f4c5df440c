import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The GIN index of current suggestions' invoice ids stops using its pending list. Every
 * allocation asks it which exceptions named the invoices whose money moved, and with
 * `fastupdate` each search read the whole unsorted list of entries not yet merged (up to
 * `gin_pending_list_limit`), which the suggestion worker's writes keep full (bench/RESULTS.md,
 * suggestion speed).
 */
export class SuggestionGinDirect1795559760000 implements MigrationInterface {
  name = 'SuggestionGinDirect1795559760000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "ix_suggestions_invoice_ids" SET (fastupdate = off)`);
    // Entries already pending are merged now, not by the next VACUUM.
    await queryRunner.query(`SELECT gin_clean_pending_list('ix_suggestions_invoice_ids')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "ix_suggestions_invoice_ids" RESET (fastupdate)`);
  }
}
