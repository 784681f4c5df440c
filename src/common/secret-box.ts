import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ValueTransformer } from 'typeorm';

/** What marks a stored value as encrypted; a secret given in the clear may not start with it. */
export const SEALED_PREFIX = 'enc:v1:';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/**
 * Encryption at rest of the secrets the service must be able to read back: banks' signing
 * secrets and API tokens (HMAC needs the secret itself, so they cannot be hashed like API keys)
 * and subscriptions' signing secrets. AES-256-GCM with a random 96-bit IV per value, stored as
 * `enc:v1:<iv>.<ciphertext>.<tag>` (base64url). Without a key values are stored as given, and a
 * value without the prefix is read as it is (rows written before a key was set).
 */
export class SecretBox {
  constructor(private readonly key: Buffer | null) {
    if (key && key.length !== 32) throw new SecretKeyError('the secrets key must be 32 bytes');
  }

  get encrypts(): boolean {
    return this.key !== null;
  }

  seal(plain: string): string {
    if (!this.key) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [iv, data, cipher.getAuthTag()].map((b) => b.toString('base64url'));
    return SEALED_PREFIX + parts.join('.');
  }

  open(stored: string): string {
    if (!isSealed(stored)) return stored;
    if (!this.key) {
      throw new SecretKeyError(
        'a stored secret is encrypted and SECRETS_ENCRYPTION_KEY is not set',
      );
    }
    const parts = stored.slice(SEALED_PREFIX.length).split('.');
    const [iv, data, tag] = parts.map((p) => Buffer.from(p, 'base64url'));
    try {
      if (parts.length !== 3 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
        throw new Error('malformed');
      }
      const decipher = createDecipheriv(ALGORITHM, this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
    } catch {
      // Never the value or the key in the message.
      throw new SecretKeyError(
        'a stored secret cannot be decrypted with SECRETS_ENCRYPTION_KEY: not the key it was ' +
          'written with, or the stored value is damaged',
      );
    }
  }
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/**
 * The key from `SECRETS_ENCRYPTION_KEY`: 32 bytes as 64 hex digits or as base64 (44
 * characters); null when unset. Throws a message naming the variable, never its value.
 */
export function parseSecretsKey(value: string | undefined): Buffer | null {
  if (value === undefined || value === '') return null;
  const key = /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(value)
      ? Buffer.from(value, 'base64')
      : null;
  if (!key || key.length !== 32) {
    throw new SecretKeyError(
      'SECRETS_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or 44 base64 characters ' +
        '(openssl rand -base64 32)',
    );
  }
  return key;
}

// TypeORM column transformers are declared on the entity classes, so they reach the box through
// the process: one key per process, set by createApp before the database is used.
let processBox = new SecretBox(null);

export function useSecretBox(box: SecretBox): void {
  processBox = box;
}

export function secretBox(): SecretBox {
  return processBox;
}

/** For entity columns that hold a secret (nullable or not). */
export const secretColumn: ValueTransformer = {
  to: (value: string | null | undefined) =>
    typeof value === 'string' ? processBox.seal(value) : value,
  from: (value: string | null) => (typeof value === 'string' ? processBox.open(value) : value),
};
