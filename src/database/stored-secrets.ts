import type { DataSource } from 'typeorm';
import { isSealed, SEALED_PREFIX, SecretKeyError, type SecretBox } from '../common/secret-box';
import { returning } from './sql';

/** Every column that holds a secret the service reads back (entity columns with secretColumn). */
const SECRET_COLUMNS = [
  { table: 'bank_secrets', column: 'secret' },
  { table: 'banks', column: 'api_token' },
  { table: 'subscription_secrets', column: 'secret' },
] as const;

/** Runs a one-row UPDATE; 1 if it changed the row, 0 if another instance got there first. */
async function rewrite(dataSource: DataSource, sql: string, params: unknown[]): Promise<number> {
  return (await returning(dataSource, `${sql} RETURNING id`, params)).length;
}

/** What the start-up pass changed: plaintext rows encrypted, and rows moved to the current key. */
export interface SealedSecrets {
  encrypted: number;
  reencrypted: number;
}

/**
 * At start, before anything reads a secret: with a key, checks that every encrypted secret opens
 * (a wrong key stops the start instead of failing every signature check), encrypts the ones
 * stored before the key was set, and re-encrypts with SECRETS_ENCRYPTION_KEY those that only a
 * SECRETS_DECRYPTION_KEYS key opens (key rotation); without one, refuses a database whose
 * secrets are encrypted. Safe with several instances starting at once: a row is only rewritten
 * while it still holds the value read.
 */
export async function sealStoredSecrets(
  dataSource: DataSource,
  box: SecretBox,
): Promise<SealedSecrets> {
  const done: SealedSecrets = { encrypted: 0, reencrypted: 0 };
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
        const { plain, current } = box.unseal(row.value);
        if (current) continue;
        // Sealed with a decryption key: the old ciphertext is no secret without that key.
        done.reencrypted += await rewrite(
          dataSource,
          `UPDATE ${table} SET ${column} = $1 WHERE id = $2 AND ${column} = $3`,
          [box.seal(plain), row.id, row.value],
        );
      } else if (box.encrypts) {
        // Not the plaintext as a parameter: a failed query is logged with its parameters.
        // Another instance that sealed the row first wins; the row is then left alone.
        done.encrypted += await rewrite(
          dataSource,
          `UPDATE ${table} SET ${column} = $1 WHERE id = $2 AND ${column} NOT LIKE $3`,
          [box.seal(row.value), row.id, `${SEALED_PREFIX}%`],
        );
      }
    }
  }
  return done;
}
