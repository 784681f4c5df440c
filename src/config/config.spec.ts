import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      dataDir: '.data',
      webhookSecret: undefined,
      adminApiKey: undefined,
      reconcileCron: '0 * * * *',
      maxBodyBytes: 1048576,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['MAX_BODY_BYTES', '-1'],
    ['RECONCILE_CRON', 'every hour'],
    ['WEBHOOK_SECRET', 'short'],
    ['ADMIN_API_KEY', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['WEBHOOK_RATE_LIMIT_PER_BANK', '-5'],
    ['WEBHOOK_RATE_LIMIT_PER_CLIENT', 'lots'],
    ['WEBHOOK_RATE_LIMIT_WINDOW_MS', '10'],
    ['EVENTS_RETENTION_DAYS', '-1'],
    ['EVENTS_RETENTION_DAYS', '2.5'],
    ['SECRETS_ENCRYPTION_KEY', 'not-a-32-byte-key'],
    ['SECRETS_DECRYPTION_KEYS', 'not-a-32-byte-key'],
    ['PULL_MAX_PAGES', '0'],
    ['PULL_BANK_BUDGET_MS', '10'],
    ['EVENTS_NATS_URL', 'http://broker:4222'],
    ['EVENTS_NATS_URL', 'nats://a:4222,'],
    ['EVENTS_NATS_STREAM', 'bank.sync'],
    ['EVENTS_NATS_TIMEOUT_MS', '50'],
    // A decryption key alone: nothing would encrypt, and the stored secrets could never move.
    ['SECRETS_DECRYPTION_KEYS', 'a'.repeat(64)],
  ])('names %s when it is %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it('accepts a 6-field cron with seconds and treats empty values as unset', () => {
    const config = loadConfig({ RECONCILE_CRON: '*/5 * * * * *', DATABASE_URL: '', PORT: '8080' });
    expect(config.reconcileCron).toBe('*/5 * * * * *');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.port).toBe(8080);
  });

  it('has generous webhook rate limits by default, configurable, 0 meaning none', () => {
    expect(loadConfig({}).webhookRateLimit).toEqual({
      perBank: 10_000,
      perClient: 20_000,
      windowMs: 1000,
    });
    const config = loadConfig({
      WEBHOOK_RATE_LIMIT_PER_BANK: '0',
      WEBHOOK_RATE_LIMIT_PER_CLIENT: '5',
      WEBHOOK_RATE_LIMIT_WINDOW_MS: '60000',
    });
    expect(config.webhookRateLimit).toEqual({ perBank: 0, perClient: 5, windowMs: 60_000 });
  });

  it('keeps outbound events and deliveries 30 days by default, 0 meaning forever', () => {
    expect(loadConfig({}).events.retentionDays).toBe(30);
    expect(loadConfig({ EVENTS_RETENTION_DAYS: '0' }).events.retentionDays).toBe(0);
    expect(loadConfig({ EVENTS_RETENTION_DAYS: '365' }).events.retentionDays).toBe(365);
  });

  it('has no event bus unless EVENTS_NATS_URL is set, and reads a cluster as a list', () => {
    expect(loadConfig({}).nats).toBeNull();
    expect(loadConfig({ EVENTS_NATS_URL: '' }).nats).toBeNull();
    expect(loadConfig({ EVENTS_NATS_URL: 'nats://127.0.0.1:4222' }).nats).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      stream: 'BANK_SYNC',
      timeoutMs: 5000,
    });
    const cluster = loadConfig({
      EVENTS_NATS_URL: 'nats://u:p@a:4222, tls://b:4222',
      EVENTS_NATS_STREAM: 'PAYMENTS',
      EVENTS_NATS_TIMEOUT_MS: '2000',
    });
    expect(cluster.nats).toEqual({
      servers: ['nats://u:p@a:4222', 'tls://b:4222'],
      stream: 'PAYMENTS',
      timeoutMs: 2000,
    });
  });

  it('reads the encryption key and the decryption-only keys of a rotation', () => {
    const [key, old] = ['1'.repeat(64), '2'.repeat(64)];
    const config = loadConfig({ SECRETS_ENCRYPTION_KEY: key, SECRETS_DECRYPTION_KEYS: old });
    expect(config.secretsKey).toEqual(Buffer.from(key, 'hex'));
    expect(config.secretsDecryptionKeys).toEqual([Buffer.from(old, 'hex')]);
    expect(loadConfig({}).secretsDecryptionKeys).toEqual([]);
  });
});
