import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log's time index becomes a BRIN index. The log is append-only and its `at` follows
 * its write order (an entry's time is its transaction's start), which is the case BRIN is made
 * for: a few bytes per range of pages, kept up at almost no cost per entry, where the B-tree
 * `(at, id)` cost every entry an index insert (a reconciliation run writes a thousand per batch;
 * bench/RESULTS.md, audit write). `at` only filters (`from`, `to`): lists and exports are in
 * `pos` order, and the cursor names an entry by id. `autosummarize` summarizes each range of
 * pages once it is full, so a filter by time skips the old ones without waiting for a VACUUM.
 */
export class AuditTimeBrin1795559750000 implements MigrationInterface {
  name = 'AuditTimeBrin1795559750000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_audit_log_at"`);
    await queryRunner.query(
      `CREATE INDEX "ix_audit_log_at" ON "audit_log" USING brin ("at") WITH (autosummarize = on)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_audit_log_at"`);
    await queryRunner.query(`CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at", "id")`);
  }
}
