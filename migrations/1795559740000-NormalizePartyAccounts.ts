import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Learned accounts (`party_accounts`) were stored as the transaction spelled them, while the
 * suggestions look them up in their compact form (`normalizeAccount`: no spaces, dots or
 * dashes, upper case), so an account a CSV statement wrote as `12.34.56.789` was learned and
 * never found again. The learning now stores the compact form; this rewrites the rows stored
 * before (the earliest confirmation kept where two spellings meet).
 */
export class NormalizePartyAccounts1795559740000 implements MigrationInterface {
  name = 'NormalizePartyAccounts1795559740000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const compact = `upper(regexp_replace(account, '[[:space:].-]', '', 'g'))`;
    await queryRunner.query(
      `INSERT INTO party_accounts (customer_key, account, confirmed_at)
       SELECT customer_key, ${compact}, min(confirmed_at) FROM party_accounts
        WHERE account <> ${compact} AND ${compact} <> ''
        GROUP BY customer_key, ${compact}
       ON CONFLICT (customer_key, account)
       DO UPDATE SET confirmed_at = least(party_accounts.confirmed_at, EXCLUDED.confirmed_at)`,
    );
    await queryRunner.query(`DELETE FROM party_accounts WHERE account <> ${compact}`);
  }

  public async down(): Promise<void> {
    // The spellings the rows had are gone, and the compact form is what every reader expects.
  }
}
