import { randomBytes } from 'node:crypto';
import { isSealed, parseSecretsKey, SecretBox, SecretKeyError } from './secret-box';

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
