import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where an unfinished page chain continues: a bank's window larger than one run's page limit
 * (a bank down for days) is pulled over several runs instead of failing every run.
 */
export class PullResume1795559200000 implements MigrationInterface {
  name = 'PullResume1795559200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "bank_pull_cursors" ADD "resume_url" text, ADD "resume_started_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "bank_pull_cursors" DROP COLUMN "resume_started_at", DROP COLUMN "resume_url"`,
    );
  }
}
