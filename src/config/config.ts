import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
  ValidationError,
} from 'class-validator';
import { CronTime } from 'cron';
import { parseDecryptionKeys, parseSecretsKey } from '../common/secret-box';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormatSetting = (typeof LOG_FORMATS)[number];

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** The environment, as the contract's configuration table names it. Validated once at boot. */
class EnvironmentSchema {
  @Transform(toInt)
  @IsInt({ message: 'PORT must be a whole number from 0 to 65535' })
  @Min(0, { message: 'PORT must be a whole number from 0 to 65535' })
  @Max(65535, { message: 'PORT must be a whole number from 0 to 65535' })
  PORT = 3000;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, {
    message: 'DATABASE_URL must be a postgres:// or postgresql:// URL',
  })
  DATABASE_URL?: string;

  @IsString()
  @MinLength(1, { message: 'DATA_DIR must not be empty' })
  DATA_DIR = '.data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'WEBHOOK_SECRET must be at least 8 characters' })
  WEBHOOK_SECRET?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'ADMIN_API_KEY must be at least 24 characters' })
  @MaxLength(200, { message: 'ADMIN_API_KEY must be at most 200 characters' })
  ADMIN_API_KEY?: string;

  // Checked by parseSecretsKey (a message naming the variable, never its value).
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SECRETS_ENCRYPTION_KEY?: string;

  // Checked by parseDecryptionKeys, like SECRETS_ENCRYPTION_KEY.
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SECRETS_DECRYPTION_KEYS?: string;

  @IsString()
  RECONCILE_CRON = '0 * * * *';

  @Matches(/^(off|0(\.\d{1,3})?|1(\.0{1,3})?)$/, {
    message: 'AUTO_MATCH_THRESHOLD must be a score from 0 to 1 (at most 3 decimals) or off',
  })
  AUTO_MATCH_THRESHOLD = '0.95';

  @Transform(toInt)
  @IsInt({ message: 'MAX_BODY_BYTES must be a whole number of bytes' })
  @Min(1024, { message: 'MAX_BODY_BYTES must be at least 1024' })
  @Max(64 * 1024 * 1024, { message: 'MAX_BODY_BYTES must be at most 67108864 (64 MiB)' })
  MAX_BODY_BYTES = 1048576;

  @Transform(toInt)
  @IsInt({ message: 'STATEMENT_MAX_BYTES must be a whole number of bytes' })
  @Min(1024, { message: 'STATEMENT_MAX_BYTES must be at least 1024' })
  @Max(1024 * 1024 * 1024, { message: 'STATEMENT_MAX_BYTES must be at most 1073741824 (1 GiB)' })
  STATEMENT_MAX_BYTES = 50 * 1024 * 1024;

  @Transform(toInt)
  @IsInt({ message: 'STATEMENT_CHUNK_ENTRIES must be a whole number of entries' })
  @Min(1, { message: 'STATEMENT_CHUNK_ENTRIES must be at least 1' })
  @Max(1_000_000, { message: 'STATEMENT_CHUNK_ENTRIES must be at most 1000000' })
  STATEMENT_CHUNK_ENTRIES = 20_000;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @IsIn(LOG_FORMATS, { message: `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT: LogFormatSetting = 'auto';

  @Transform(toInt)
  @IsInt({ message: 'EMBEDDED_PG_PORT must be a whole number' })
  @Min(1024, { message: 'EMBEDDED_PG_PORT must be from 1024 to 65535' })
  @Max(65535, { message: 'EMBEDDED_PG_PORT must be from 1024 to 65535' })
  EMBEDDED_PG_PORT = 54329;

  @IsIn(['true', 'false'], { message: 'WORKER_ENABLED must be true or false' })
  WORKER_ENABLED = 'true';

  @Transform(toInt)
  @IsInt({ message: 'PROCESSING_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  @Min(1, { message: 'PROCESSING_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  @Max(100, { message: 'PROCESSING_MAX_ATTEMPTS must be a whole number from 1 to 100' })
  PROCESSING_MAX_ATTEMPTS = 8;

  @Transform(toInt)
  @IsInt({ message: 'PROCESSING_BACKOFF_MS must be a whole number of milliseconds' })
  @Min(10, { message: 'PROCESSING_BACKOFF_MS must be at least 10' })
  PROCESSING_BACKOFF_MS = 2000;

  @Transform(toInt)
  @IsInt({ message: 'PROCESSING_LEASE_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'PROCESSING_LEASE_MS must be at least 100' })
  PROCESSING_LEASE_MS = 60_000;

  @Transform(toInt)
  @IsInt({ message: 'BACKGROUND_MAX_DEFER_MS must be a whole number of milliseconds (0: never)' })
  @Min(0, { message: 'BACKGROUND_MAX_DEFER_MS must be a whole number of milliseconds (0: never)' })
  @Max(60_000, { message: 'BACKGROUND_MAX_DEFER_MS must be at most 60000' })
  BACKGROUND_MAX_DEFER_MS = 5000;

  /** Unset: each background loop's own poll (0.5-1 s); wake-ups make polls the fallback only. */
  @IsOptional()
  @Transform(toInt)
  @IsInt({
    message: 'BACKGROUND_POLL_MS must be a whole number of milliseconds from 50 to 3600000',
  })
  @Min(50, {
    message: 'BACKGROUND_POLL_MS must be a whole number of milliseconds from 50 to 3600000',
  })
  @Max(3_600_000, {
    message: 'BACKGROUND_POLL_MS must be a whole number of milliseconds from 50 to 3600000',
  })
  BACKGROUND_POLL_MS?: number;

  @Transform(toInt)
  @IsInt({ message: 'INTAKE_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'INTAKE_TIMEOUT_MS must be at least 100' })
  @Max(120_000, { message: 'INTAKE_TIMEOUT_MS must be at most 120000' })
  INTAKE_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt({ message: 'PULL_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'PULL_TIMEOUT_MS must be at least 100' })
  PULL_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt({ message: 'PULL_RETRIES must be a whole number from 0 to 10' })
  @Min(0, { message: 'PULL_RETRIES must be a whole number from 0 to 10' })
  @Max(10, { message: 'PULL_RETRIES must be a whole number from 0 to 10' })
  PULL_RETRIES = 3;

  @Transform(toInt)
  @IsInt({ message: 'PULL_MAX_PAGES must be a whole number of at least 1' })
  @Min(1, { message: 'PULL_MAX_PAGES must be a whole number of at least 1' })
  PULL_MAX_PAGES = 1000;

  @Transform(toInt)
  @IsInt({ message: 'PULL_BANK_BUDGET_MS must be a whole number of milliseconds' })
  @Min(1000, { message: 'PULL_BANK_BUDGET_MS must be at least 1000' })
  PULL_BANK_BUDGET_MS = 300_000;

  @Transform(toInt)
  @IsInt({ message: 'WEBHOOK_RATE_LIMIT_PER_BANK must be a whole number (0: no limit)' })
  @Min(0, { message: 'WEBHOOK_RATE_LIMIT_PER_BANK must be a whole number (0: no limit)' })
  WEBHOOK_RATE_LIMIT_PER_BANK = 10_000;

  @Transform(toInt)
  @IsInt({ message: 'WEBHOOK_RATE_LIMIT_PER_CLIENT must be a whole number (0: no limit)' })
  @Min(0, { message: 'WEBHOOK_RATE_LIMIT_PER_CLIENT must be a whole number (0: no limit)' })
  WEBHOOK_RATE_LIMIT_PER_CLIENT = 20_000;

  @Transform(toInt)
  @IsInt({ message: 'WEBHOOK_RATE_LIMIT_WINDOW_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'WEBHOOK_RATE_LIMIT_WINDOW_MS must be from 100 to 3600000' })
  @Max(3_600_000, { message: 'WEBHOOK_RATE_LIMIT_WINDOW_MS must be from 100 to 3600000' })
  WEBHOOK_RATE_LIMIT_WINDOW_MS = 1000;

  @IsIn(['true', 'false'], { message: 'ALLOW_PRIVATE_SUBSCRIBER_URLS must be true or false' })
  ALLOW_PRIVATE_SUBSCRIBER_URLS = 'false';

  @Transform(toInt)
  @IsInt({ message: 'EVENTS_RETRY_BASE_MS must be a whole number of milliseconds' })
  @Min(10, { message: 'EVENTS_RETRY_BASE_MS must be at least 10' })
  EVENTS_RETRY_BASE_MS = 10_000;

  @Transform(toInt)
  @IsInt({ message: 'EVENTS_MAX_AGE_MS must be a whole number of milliseconds' })
  @Min(1000, { message: 'EVENTS_MAX_AGE_MS must be at least 1000' })
  EVENTS_MAX_AGE_MS = 24 * 3_600_000;

  @Transform(toInt)
  @IsInt({ message: 'EVENTS_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'EVENTS_TIMEOUT_MS must be at least 100' })
  EVENTS_TIMEOUT_MS = 10_000;

  @Transform(toInt)
  @IsInt({ message: 'EVENTS_RETENTION_DAYS must be a whole number of days (0: keep forever)' })
  @Min(0, { message: 'EVENTS_RETENTION_DAYS must be a whole number of days (0: keep forever)' })
  EVENTS_RETENTION_DAYS = 30;

  // Several servers of one cluster: comma-separated. May carry user:password (never logged).
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^(nats|tls):\/\/[^\s,]+(,\s*(nats|tls):\/\/[^\s,]+)*$/, {
    message: 'EVENTS_NATS_URL must be a nats:// or tls:// URL (several: comma-separated)',
  })
  EVENTS_NATS_URL?: string;

  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'EVENTS_NATS_STREAM must be a JetStream stream name (letters, digits, _ and -)',
  })
  EVENTS_NATS_STREAM = 'BANK_SYNC';

  @Transform(toInt)
  @IsInt({ message: 'EVENTS_NATS_TIMEOUT_MS must be a whole number of milliseconds' })
  @Min(100, { message: 'EVENTS_NATS_TIMEOUT_MS must be from 100 to 60000' })
  @Max(60_000, { message: 'EVENTS_NATS_TIMEOUT_MS must be from 100 to 60000' })
  EVENTS_NATS_TIMEOUT_MS = 5000;
}

export interface AppConfig {
  port: number;
  databaseUrl?: string;
  dataDir: string;
  webhookSecret?: string;
  adminApiKey?: string;
  /** AES-256-GCM key for secrets at rest (SecretBox); null stores them as given. */
  secretsKey: Buffer | null;
  /** Keys that only open stored secrets (key rotation): SECRETS_DECRYPTION_KEYS. */
  secretsDecryptionKeys: Buffer[];
  reconcileCron: string;
  /** Suggestions at least this sure are applied by the system; null: never (`off`). */
  autoMatchThreshold: number | null;
  maxBodyBytes: number;
  /** Largest statement file accepted (POST /banks/{id}/statements), read as a stream. */
  statementMaxBytes: number;
  /** Statement entries per intake statement of an upload (webhooks get their turn between). */
  statementChunkEntries: number;
  logLevel: LogLevel;
  /** `auto`: readable lines when stdout is a terminal, JSON otherwise (chooseLogFormat). */
  logFormat: LogFormatSetting;
  embeddedPgPort: number;
  workerEnabled: boolean;
  /** How long a background batch may wait while webhook intake saturates the instance. */
  backgroundMaxDeferMs: number;
  /** Every background loop's idle poll; null: each loop's own. */
  backgroundPollMs: number | null;
  /** How long the intake statement may take before the delivery is answered 503. */
  intakeTimeoutMs: number;
  processing: { maxAttempts: number; backoffMs: number; leaseMs: number };
  /** Bank pull APIs: per request, and pages per bank per run (the next run goes on). */
  pull: { timeoutMs: number; retries: number; maxPages: number; bankBudgetMs: number };
  /** Webhook deliveries allowed per window, per bank and per client IP; 0 means no limit. */
  webhookRateLimit: { perBank: number; perClient: number; windowMs: number };
  events: {
    allowPrivateUrls: boolean;
    retryBaseMs: number;
    maxAgeMs: number;
    timeoutMs: number;
    /** Finished deliveries and relayed events are deleted this many days on; 0 keeps them. */
    retentionDays: number;
  };
  /** NATS JetStream, where every event is also published; null: no bus. */
  nats: { servers: string[]; stream: string; timeoutMs: number } | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function messages(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => Object.values(e.constraints ?? {}));
}

/** Reads and validates the environment; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new EnvironmentSchema());
  const input: Record<string, string> = {};
  for (const key of [
    ...known,
    'DATABASE_URL',
    'WEBHOOK_SECRET',
    'ADMIN_API_KEY',
    'SECRETS_ENCRYPTION_KEY',
    'SECRETS_DECRYPTION_KEYS',
    'EVENTS_NATS_URL',
  ]) {
    const value = env[key];
    if (value !== undefined) input[key] = value;
  }
  const schema = plainToInstance(EnvironmentSchema, input);
  const problems = messages(validateSync(schema, { forbidUnknownValues: false }));
  try {
    if (schema.RECONCILE_CRON !== 'off') new CronTime(schema.RECONCILE_CRON);
  } catch {
    problems.push(
      `RECONCILE_CRON must be a cron expression with 5 or 6 fields (or off), got "${schema.RECONCILE_CRON}"`,
    );
  }
  let secretsKey: Buffer | null = null;
  let secretsDecryptionKeys: Buffer[] = [];
  try {
    secretsKey = parseSecretsKey(schema.SECRETS_ENCRYPTION_KEY);
  } catch (err) {
    problems.push((err as Error).message);
  }
  try {
    secretsDecryptionKeys = parseDecryptionKeys(schema.SECRETS_DECRYPTION_KEYS);
    if (secretsDecryptionKeys.length > 0 && schema.SECRETS_ENCRYPTION_KEY === undefined) {
      problems.push(
        'SECRETS_DECRYPTION_KEYS needs SECRETS_ENCRYPTION_KEY (the key that encrypts from now on)',
      );
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    port: schema.PORT,
    databaseUrl: schema.DATABASE_URL,
    dataDir: schema.DATA_DIR,
    webhookSecret: schema.WEBHOOK_SECRET,
    adminApiKey: schema.ADMIN_API_KEY,
    secretsKey,
    secretsDecryptionKeys,
    reconcileCron: schema.RECONCILE_CRON,
    autoMatchThreshold:
      schema.AUTO_MATCH_THRESHOLD === 'off' ? null : Number(schema.AUTO_MATCH_THRESHOLD),
    maxBodyBytes: schema.MAX_BODY_BYTES,
    statementMaxBytes: schema.STATEMENT_MAX_BYTES,
    statementChunkEntries: schema.STATEMENT_CHUNK_ENTRIES,
    logLevel: schema.LOG_LEVEL,
    logFormat: schema.LOG_FORMAT,
    embeddedPgPort: schema.EMBEDDED_PG_PORT,
    workerEnabled: schema.WORKER_ENABLED === 'true',
    backgroundMaxDeferMs: schema.BACKGROUND_MAX_DEFER_MS,
    backgroundPollMs: schema.BACKGROUND_POLL_MS ?? null,
    intakeTimeoutMs: schema.INTAKE_TIMEOUT_MS,
    processing: {
      maxAttempts: schema.PROCESSING_MAX_ATTEMPTS,
      backoffMs: schema.PROCESSING_BACKOFF_MS,
      leaseMs: schema.PROCESSING_LEASE_MS,
    },
    pull: {
      timeoutMs: schema.PULL_TIMEOUT_MS,
      retries: schema.PULL_RETRIES,
      maxPages: schema.PULL_MAX_PAGES,
      bankBudgetMs: schema.PULL_BANK_BUDGET_MS,
    },
    webhookRateLimit: {
      perBank: schema.WEBHOOK_RATE_LIMIT_PER_BANK,
      perClient: schema.WEBHOOK_RATE_LIMIT_PER_CLIENT,
      windowMs: schema.WEBHOOK_RATE_LIMIT_WINDOW_MS,
    },
    events: {
      allowPrivateUrls: schema.ALLOW_PRIVATE_SUBSCRIBER_URLS === 'true',
      retryBaseMs: schema.EVENTS_RETRY_BASE_MS,
      maxAgeMs: schema.EVENTS_MAX_AGE_MS,
      timeoutMs: schema.EVENTS_TIMEOUT_MS,
      retentionDays: schema.EVENTS_RETENTION_DAYS,
    },
    nats: schema.EVENTS_NATS_URL
      ? {
          servers: schema.EVENTS_NATS_URL.split(',').map((u) => u.trim()),
          stream: schema.EVENTS_NATS_STREAM,
          timeoutMs: schema.EVENTS_NATS_TIMEOUT_MS,
        }
      : null,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
