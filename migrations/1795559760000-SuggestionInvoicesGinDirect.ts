import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The GIN index of current suggestions' invoice ids stops using its pending list. Every
 * allocation asks it which exceptions named the invoices whose money moved (`invoice_ids &&`),
 * and with `fastupdate` each of those searches read the whole unsorted list of entries not yet
 * merged (up to `gin_pending_list_limit`, 4 MB), which the suggestion worker's writes keep full.
 * Inserting into the tree directly costs the writes a little; the search went from 13 to 8 ms
 * per batch of automatic allocations (bench/RESULTS.md, suggestion speed).
 */
export class SuggestionInvoicesGinDirect1795559760000 implements MigrationInterface {
  name = 'SuggestionInvoicesGinDirect1795559760000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "ix_suggestions_invoice_ids" SET (fastupdate = off)`);
    // Entries already pending are merged now, not by the next VACUUM.
    await queryRunner.query(`SELECT gin_clean_pending_list('ix_suggestions_invoice_ids')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER INDEX "ix_suggestions_invoice_ids" RESET (fastupdate)`);
  }
}
