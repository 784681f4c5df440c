import type { DataSource } from 'typeorm';
import { isSealed, SEALED_PREFIX, SecretKeyError, type SecretBox } from '../common/secret-box';

/** Every column that holds a secret the service reads back (entity columns with secretColumn). */
const SECRET_COLUMNS = [
  { table: 'bank_secrets', column: 'secret' },
  { table: 'banks', column: 'api_token' },
  { table: 'subscription_secrets', column: 'secret' },
] as const;

/**
 * At start, before anything reads a secret: with a key, checks that every encrypted secret opens
 * with it (a wrong key stops the start instead of failing every signature check) and encrypts
 * the ones stored before the key was set; without one, refuses a database whose secrets are
 * encrypted. Returns how many it encrypted. Safe with several instances starting at once: a row
 * is only rewritten while it is still plaintext.
 */
export async function sealStoredSecrets(dataSource: DataSource, box: SecretBox): Promise<number> {
  let sealed = 0;
  for (const { table, column } of SECRET_COLUMNS) {
    const rows = await dataSource.query<Array<{ id: string; value: string }>>(
      `SELECT id, ${column} AS value FROM ${table} WHERE ${column} IS NOT NULL`,
    );
    for (const row of rows) {
      if (isSealed(row.value)) {
        if (!box.encrypts) {
          throw new SecretKeyError(
            `${table}.${column} holds encrypted secrets: set SECRETS_ENCRYPTION_KEY to the key they were written with`,
          );
        }
        box.open(row.value);
      } else if (box.encrypts) {
        // Not the plaintext as a parameter: a failed query is logged with its parameters.
        // Another instance that sealed the row first wins; the row is then left alone.
        await dataSource.query(
          `UPDATE ${table} SET ${column} = $1 WHERE id = $2 AND ${column} NOT LIKE $3`,
          [box.seal(row.value), row.id, `${SEALED_PREFIX}%`],
        );
        sealed++;
      }
    }
  }
  return sealed;
}
