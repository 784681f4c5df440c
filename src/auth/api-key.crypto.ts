import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'bks_';

/** A new staff key: a recognisable prefix and 32 random bytes. */
export function newApiKey(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
