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

const CANNOT_OPEN =
  'a stored secret cannot be decrypted with SECRETS_ENCRYPTION_KEY or SECRETS_DECRYPTION_KEYS: ' +
  'not a key it was written with, or the stored value is damaged';

/**
 * Encryption at rest of the secrets the service must be able to read back: banks' signing
 * secrets and API tokens (HMAC needs the secret itself, so they cannot be hashed like API keys)
 * and subscriptions' signing secrets. AES-256-GCM with a random 96-bit IV per value, stored as
 * `enc:v1:<iv>.<ciphertext>.<tag>` (base64url). Without a key values are stored as given, and a
 * value without the prefix is read as it is (rows written before a key was set).
 *
 * Key rotation: values are always sealed with `key`; `decryptionKeys` (SECRETS_DECRYPTION_KEYS)
 * only open. GCM's tag tells a wrong key from the right one, so no key id is stored: each key is
 * tried in turn, the sealing key first.
 */
export class SecretBox {
  private readonly openers: Buffer[];

  constructor(
    private readonly key: Buffer | null,
    decryptionKeys: readonly Buffer[] = [],
  ) {
    if (!key && decryptionKeys.length > 0) {
      throw new SecretKeyError('SECRETS_DECRYPTION_KEYS needs SECRETS_ENCRYPTION_KEY');
    }
    this.openers = key ? [key, ...decryptionKeys] : [];
    if (this.openers.some((k) => k.length !== 32)) {
      throw new SecretKeyError('the secrets key must be 32 bytes');
    }
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
    return this.unseal(stored).plain;
  }

  /**
   * Opens a stored value and says whether it is stored as this box would write it now: sealed
   * with the sealing key (false for plaintext, or for a value only a decryption key opens).
   */
  unseal(stored: string): { plain: string; current: boolean } {
    if (!isSealed(stored)) return { plain: stored, current: false };
    if (!this.key) {
      throw new SecretKeyError(
        'a stored secret is encrypted and SECRETS_ENCRYPTION_KEY is not set',
      );
    }
    const parts = stored.slice(SEALED_PREFIX.length).split('.');
    const [iv, data, tag] = parts.map((p) => Buffer.from(p, 'base64url'));
    // Never the value or a key in the message.
    if (parts.length !== 3 || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretKeyError(CANNOT_OPEN);
    }
    for (const [i, key] of this.openers.entries()) {
      try {
        const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
        decipher.setAuthTag(tag);
        const plain = Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
        return { plain, current: i === 0 };
      } catch {
        // Not this key (or damaged): the next one, if any.
      }
    }
    throw new SecretKeyError(CANNOT_OPEN);
  }
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/**
 * The key from `SECRETS_ENCRYPTION_KEY`: 32 bytes as 64 hex digits or as base64 (44
 * characters); null when unset. Throws a message naming the variable, never its value.
 */
export function parseSecretsKey(
  value: string | undefined,
  variable = 'SECRETS_ENCRYPTION_KEY',
): Buffer | null {
  if (value === undefined || value === '') return null;
  const key = /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(value)
      ? Buffer.from(value, 'base64')
      : null;
  if (!key || key.length !== 32) {
    throw new SecretKeyError(
      `${variable} must be 32 bytes as 64 hex digits or 44 base64 characters ` +
        '(openssl rand -base64 32)',
    );
  }
  return key;
}

/** `SECRETS_DECRYPTION_KEYS`: comma-separated keys, each as `parseSecretsKey` reads one. */
export function parseDecryptionKeys(value: string | undefined): Buffer[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((part) => {
    const key = parseSecretsKey(part.trim(), 'each key of SECRETS_DECRYPTION_KEYS');
    if (!key) throw new SecretKeyError('SECRETS_DECRYPTION_KEYS has an empty entry');
    return key;
  });
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
