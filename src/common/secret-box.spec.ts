import { randomBytes } from 'node:crypto';
import {
  isSealed,
  parseDecryptionKeys,
  parseSecretsKey,
  SecretBox,
  SecretKeyError,
} from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);

  it('seals a secret so that the stored text does not contain it, and opens it again', () => {
    const sealed = box.seal('whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=');
    expect(sealed).toMatch(/^enc:v1:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('whsec_');
    expect(box.open(sealed)).toBe('whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=');
    expect(box.open(box.seal('é ünïcødé 🔑'))).toBe('é ünïcødé 🔑');
  });

  it('uses a fresh IV per value: the same secret never seals to the same text', () => {
    expect(box.seal('same-secret-0123')).not.toBe(box.seal('same-secret-0123'));
  });

  it('refuses a tampered value or the wrong key, without the value in the message', () => {
    const sealed = box.seal('bank-secret-0123456789');
    const [iv, data, tag] = sealed.slice('enc:v1:'.length).split('.');
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] ^= 1;
    const tampered = `enc:v1:${iv}.${flipped.toString('base64url')}.${tag}`;
    expect(() => box.open(tampered)).toThrow(SecretKeyError);
    // Cut, padded or missing parts: refused the same way, never a crash of another kind.
    const cutTag = `enc:v1:${iv}.${data}.${Buffer.from(tag, 'base64url').subarray(0, 4).toString('base64url')}`;
    for (const bad of [cutTag, `${sealed}.junk`, 'enc:v1:', 'enc:v1:...', `enc:v1:${iv}.${data}`]) {
      expect(() => box.open(bad)).toThrow(SecretKeyError);
    }
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow(
      /cannot be decrypted with SECRETS_ENCRYPTION_KEY/,
    );
    try {
      new SecretBox(randomBytes(32)).open(sealed);
    } catch (err) {
      expect(String(err)).not.toContain('bank-secret');
    }
  });

  it('without a key stores values as given, reads plaintext as it is, and refuses sealed values', () => {
    const plain = new SecretBox(null);
    expect(plain.seal('bank-secret-0123456789')).toBe('bank-secret-0123456789');
    expect(box.open('written-before-the-key')).toBe('written-before-the-key');
    expect(() => plain.open(box.seal('x'))).toThrow(/SECRETS_ENCRYPTION_KEY is not set/);
    expect(isSealed('enc:v1:abc')).toBe(true);
    expect(isSealed('whsec_abc')).toBe(false);
  });
});

describe('SecretBox key rotation', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const before = new SecretBox(oldKey);

  it('opens values sealed with a decryption key, says they are not current, seals with the new key', () => {
    const sealedOld = before.seal('bank-secret-0123456789');
    const rotating = new SecretBox(newKey, [oldKey]);
    expect(rotating.unseal(sealedOld)).toEqual({ plain: 'bank-secret-0123456789', current: false });
    const sealedNew = rotating.seal('bank-secret-0123456789');
    expect(rotating.unseal(sealedNew)).toEqual({ plain: 'bank-secret-0123456789', current: true });
    // Sealed with the new key only: the old key alone no longer opens it, the new one alone does.
    expect(() => before.open(sealedNew)).toThrow(SecretKeyError);
    expect(new SecretBox(newKey).open(sealedNew)).toBe('bank-secret-0123456789');
    // Plaintext (written before any key) is read as it is, and is not current either.
    expect(rotating.unseal('plain-secret')).toEqual({ plain: 'plain-secret', current: false });
  });

  it('the first step of a rolling rotation: the old key seals, the new one already opens', () => {
    const step1 = new SecretBox(oldKey, [newKey]);
    const sealedNew = new SecretBox(newKey, [oldKey]).seal('sub-secret-0123');
    expect(step1.open(sealedNew)).toBe('sub-secret-0123');
    expect(before.open(step1.seal('sub-secret-0123'))).toBe('sub-secret-0123');
  });

  it('refuses a value no key opens, naming both variables and no value', () => {
    const stranger = new SecretBox(randomBytes(32)).seal('bank-secret-0123456789');
    const rotating = new SecretBox(newKey, [oldKey]);
    expect(() => rotating.open(stranger)).toThrow(
      /SECRETS_ENCRYPTION_KEY or SECRETS_DECRYPTION_KEYS/,
    );
    expect(() => rotating.open(stranger)).not.toThrow(/bank-secret/);
  });

  it('refuses decryption keys without an encryption key, and keys of the wrong size', () => {
    expect(() => new SecretBox(null, [oldKey])).toThrow(/needs SECRETS_ENCRYPTION_KEY/);
    expect(() => new SecretBox(newKey, [randomBytes(16)])).toThrow(/32 bytes/);
  });
});

describe('parseDecryptionKeys', () => {
  it('reads comma-separated keys in either encoding, and names the variable on a bad one', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    expect(parseDecryptionKeys(`${a.toString('hex')}, ${b.toString('base64')}`)).toEqual([a, b]);
    expect(parseDecryptionKeys(undefined)).toEqual([]);
    expect(parseDecryptionKeys(' ')).toEqual([]);
    for (const bad of [`${a.toString('hex')},`, `${a.toString('hex')},not-a-key`]) {
      expect(() => parseDecryptionKeys(bad)).toThrow(/SECRETS_DECRYPTION_KEYS/);
      expect(() => parseDecryptionKeys(bad)).not.toThrow(new RegExp(a.toString('hex')));
    }
  });
});

describe('parseSecretsKey', () => {
  it('reads 32 bytes as hex or base64, and nothing else', () => {
    const key = randomBytes(32);
    expect(parseSecretsKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretsKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretsKey(undefined)).toBeNull();
    expect(parseSecretsKey('')).toBeNull();
    for (const bad of [
      'short',
      randomBytes(16).toString('hex'),
      randomBytes(33).toString('base64'),
    ]) {
      expect(() => parseSecretsKey(bad)).toThrow(/SECRETS_ENCRYPTION_KEY must be 32 bytes/);
    }
  });
});
