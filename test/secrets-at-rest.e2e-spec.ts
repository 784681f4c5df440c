import { randomBytes } from 'node:crypto';
import { SecretBox } from '../src/common/secret-box';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { createTestDatabase, query } from './support/database';
import { startReceiver, type Receiver } from './support/receiver';
import { eventually, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const admin = bearer(ADMIN_KEY);
const KEY = randomBytes(32).toString('base64');
const ENV = { WEBHOOK_SECRET, ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true', EVENTS_RETRY_BASE_MS: '50' };
const BANK_SECRET = 'acme-signing-secret-0001';
const API_TOKEN = 'acme-api-token-0001';

/** Every stored secret column, as PostgreSQL holds it. */
async function storedSecrets(db: string): Promise<string[]> {
  const rows = await query<{ value: string }>(
    db,
    `SELECT secret AS value FROM bank_secrets
     UNION ALL SELECT api_token FROM banks WHERE api_token IS NOT NULL
     UNION ALL SELECT secret FROM subscription_secrets`,
  );
  return rows.map((r) => r.value);
}

async function acmeDelivery(t: TestApp, id: string): Promise<number> {
  const raw = JSON.stringify(seedBody({ transaction_id: id }));
  const res = await sendSigned(t, raw, id, {
    secret: BANK_SECRET,
    path: '/webhooks/acme/transactions',
  });
  return res.status;
}

/**
 * Creates bank acme (signing secret and API token) and a subscription to transaction.received
 * at the receiver, which learns its secret; returns that secret.
 */
async function acmeWithSubscriber(t: TestApp, receiver: Receiver): Promise<string> {
  const bank = await t.request('POST', '/banks', {
    headers: admin,
    json: {
      id: 'acme',
      name: 'Acme Bank',
      signature_scheme: 'hmac-sha256',
      secrets: [BANK_SECRET],
      api: { kind: 'standard', base_url: 'https://api.acme.example/', token: API_TOKEN },
    },
  });
  expect(bank.status).toBe(201);
  const sub = await t.request('POST', '/subscriptions', {
    headers: admin,
    json: { url: receiver.url, events: ['transaction.received'] },
  });
  expect(sub.status).toBe(201);
  receiver.secrets.push(sub.body.secret);
  return sub.body.secret as string;
}

describe('secrets at rest (SECRETS_ENCRYPTION_KEY)', () => {
  let db: string;
  let receiver: Receiver;
  let subscriptionSecret: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it('without a key, stores secrets as given (the state before a key is set)', async () => {
    const t = await startTestApp(ENV, db);
    try {
      subscriptionSecret = await acmeWithSubscriber(t, receiver);
      expect((await storedSecrets(db)).sort()).toEqual(
        [BANK_SECRET, API_TOKEN, subscriptionSecret].sort(),
      );
    } finally {
      await t.close();
    }
  });

  it('with a key, encrypts the stored secrets at start, and signatures still verify both ways', async () => {
    const t = await startTestApp({ ...ENV, SECRETS_ENCRYPTION_KEY: KEY }, db);
    try {
      const stored = await storedSecrets(db);
      expect(stored).toHaveLength(3);
      for (const value of stored) {
        expect(value).toMatch(/^enc:v1:/);
        for (const plain of [BANK_SECRET, API_TOKEN, subscriptionSecret]) {
          expect(value).not.toContain(plain);
        }
      }
      // The bank's secret opens for the signature check; a wrong signature is still refused.
      expect(await acmeDelivery(t, 'sealed-1')).toBe(202);
      const forged = await sendSigned(t, JSON.stringify(seedBody()), 'sealed-2', {
        secret: 'not-the-secret-0000000',
        path: '/webhooks/acme/transactions',
      });
      expect(forged.status).toBe(401);
      // The subscription's secret opens for signing: the receiver verifies with the shown one.
      const event = await eventually(async () =>
        receiver.received.find((e) => e.data.external_id === 'sealed-1'),
      );
      expect(event.type).toBe('transaction.received');
      expect(receiver.rejected).toBe(0);

      // New secrets are stored encrypted, and a rotation compares the opened values.
      const rotated = await t.request('PATCH', '/banks/acme', {
        headers: admin,
        json: { secrets: [BANK_SECRET, 'acme-signing-secret-0002'] },
      });
      expect(rotated.status).toBe(200);
      const bankSecrets = await query<{ secret: string; revoked: boolean }>(
        db,
        `SELECT secret, revoked_at IS NOT NULL AS revoked FROM bank_secrets ORDER BY created_at`,
      );
      expect(bankSecrets).toHaveLength(2);
      expect(bankSecrets.every((s) => s.secret.startsWith('enc:v1:') && !s.revoked)).toBe(true);
      const banks = await t.request('GET', '/banks/acme', { headers: admin });
      expect(banks.text).not.toContain('enc:v1:');
      expect(banks.text).not.toContain(BANK_SECRET);
    } finally {
      await t.close();
    }
  });

  it('refuses to start without the key, or with another one, once secrets are encrypted', async () => {
    await expect(startTestApp(ENV, db)).rejects.toThrow(
      /holds encrypted secrets: set SECRETS_ENCRYPTION_KEY/,
    );
    await expect(
      startTestApp({ ...ENV, SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('hex') }, db),
    ).rejects.toThrow(/cannot be decrypted with SECRETS_ENCRYPTION_KEY/);
  });

  it('refuses a bank secret or API token that looks encrypted', async () => {
    const t = await startTestApp({ ...ENV, SECRETS_ENCRYPTION_KEY: KEY }, db);
    try {
      const res = await t.request('POST', '/banks', {
        headers: admin,
        json: {
          id: 'other',
          name: 'Other',
          signature_scheme: 'hmac-sha256',
          secrets: ['enc:v1:looks-sealed-0000'],
        },
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('secrets.0');
      const token = await t.request('POST', '/banks', {
        headers: admin,
        json: {
          id: 'other',
          name: 'Other',
          signature_scheme: 'hmac-sha256',
          secrets: ['other-signing-secret-01'],
          api: { kind: 'standard', base_url: 'https://api.other.example/', token: 'enc:v1:x' },
        },
      });
      expect(token.status).toBe(400);
      expect(token.body.errors[0].field).toBe('api.token');
    } finally {
      await t.close();
    }
  });

  it('a subscription secret that does not open fails that delivery attempt, recorded, not the worker', async () => {
    const t = await startTestApp({ ...ENV, SECRETS_ENCRYPTION_KEY: KEY }, db);
    try {
      const sub = await t.request('POST', '/subscriptions', {
        headers: admin,
        json: { url: receiver.url, events: ['transaction.processed'] },
      });
      expect(sub.status).toBe(201);
      // As another instance with another key would have written it.
      await query(db, `UPDATE subscription_secrets SET secret = $1 WHERE subscription_id = $2`, [
        'enc:v1:AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA',
        sub.body.id,
      ]);
      expect(await acmeDelivery(t, 'sealed-3')).toBe(202);
      const failed = await eventually(async () => {
        const res = await t.request('GET', `/subscriptions/${sub.body.id}/deliveries`, {
          headers: admin,
        });
        const attempts = res.body.data.flatMap(
          (d: { attempt_log: Array<{ error: string | null }> }) => d.attempt_log,
        );
        return attempts.length > 0 ? attempts : undefined;
      });
      expect(failed[0].error).toMatch(/cannot be decrypted with SECRETS_ENCRYPTION_KEY/);
      // The other subscription's deliveries still go out, signed and verified.
      await eventually(async () =>
        receiver.received.find((e) => e.data.external_id === 'sealed-3'),
      );
    } finally {
      await t.close();
    }
  });
});

describe('rotating SECRETS_ENCRYPTION_KEY (SECRETS_DECRYPTION_KEYS)', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const OLD = oldKey.toString('base64');
  const NEW = newKey.toString('hex');
  let db: string;
  let receiver: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  /** A delivery to acme is accepted, and its event reaches the subscriber signed and verified. */
  async function deliveredBothWays(t: TestApp, id: string): Promise<void> {
    expect(await acmeDelivery(t, id)).toBe(202);
    await eventually(async () => receiver.received.find((e) => e.data.external_id === id));
    expect(receiver.rejected).toBe(0);
  }

  it('moves every stored secret to the new key with no instance unable to read them', async () => {
    const first = await startTestApp({ ...ENV, SECRETS_ENCRYPTION_KEY: OLD }, db);
    let subscriptionSecret: string;
    try {
      subscriptionSecret = await acmeWithSubscriber(first, receiver);
    } finally {
      await first.close();
    }
    const underOld = await storedSecrets(db);
    const plain = [BANK_SECRET, API_TOKEN, subscriptionSecret].sort();
    expect(underOld.map((v) => new SecretBox(oldKey).open(v)).sort()).toEqual(plain);

    // Step 1, every instance: the old key still encrypts, the new one already opens. No rewrite.
    const step1 = await startTestApp(
      { ...ENV, SECRETS_ENCRYPTION_KEY: OLD, SECRETS_DECRYPTION_KEYS: NEW },
      db,
    );
    try {
      expect((await storedSecrets(db)).sort()).toEqual([...underOld].sort());
      await deliveredBothWays(step1, 'rotate-1');

      // Step 2, two instances starting at once while step 1's still runs: the new key
      // encrypts, the old one only opens; the stored secrets are re-encrypted once.
      const step2Env = { ...ENV, SECRETS_ENCRYPTION_KEY: NEW, SECRETS_DECRYPTION_KEYS: OLD };
      const [a, b] = await Promise.all([startTestApp(step2Env, db), startTestApp(step2Env, db)]);
      try {
        const underNew = await storedSecrets(db);
        expect(underNew).toHaveLength(3);
        for (const value of underNew) {
          expect(value).toMatch(/^enc:v1:/);
          expect(underOld).not.toContain(value);
          expect(() => new SecretBox(oldKey).open(value)).toThrow();
        }
        expect(underNew.map((v) => new SecretBox(newKey).open(v)).sort()).toEqual(plain);
        await deliveredBothWays(a, 'rotate-2');
        await deliveredBothWays(b, 'rotate-3');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      // The instance still in step 1 reads what step 2 wrote (its bank cache refills from it).
      await deliveredBothWays(step1, 'rotate-4');
    } finally {
      await step1.close();
    }

    // Step 3: the new key alone is enough; the old key alone no longer is.
    const step3 = await startTestApp({ ...ENV, SECRETS_ENCRYPTION_KEY: NEW }, db);
    try {
      await deliveredBothWays(step3, 'rotate-5');
    } finally {
      await step3.close();
    }
    await expect(startTestApp({ ...ENV, SECRETS_ENCRYPTION_KEY: OLD }, db)).rejects.toThrow(
      /cannot be decrypted with SECRETS_ENCRYPTION_KEY or SECRETS_DECRYPTION_KEYS/,
    );
  }, 30_000);
});
