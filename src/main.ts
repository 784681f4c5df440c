import 'reflect-metadata';
import { createApp, PendingMigrationsError } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { SecretKeyError } from './common/secret-box';
import { chooseLogFormat, createLogger } from './logging/log-format';
import {
  DataDirError,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from './database/embedded-postgres';

/**
 * Longer than a reconciliation batch and a pull's timeouts; shorter than most supervisors wait.
 * (Kept-alive connections do not hold the HTTP close: once closing, Node answers them with
 * `Connection: close`; the reliability suite checks it under steady traffic.)
 */
const SHUTDOWN_DEADLINE_MS = 60_000;
async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  // The service's own lines, in the same format as the app's (readable on a terminal).
  const log = createLogger(
    { level: config.logLevel },
    chooseLogFormat(config.logFormat, process.stdout),
  );
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      database: 'bank_sync',
      log: (line) => log.info(line),
    });
    databaseUrl = embedded.url;
  }
  try {
    const app = await createApp({ config, databaseUrl, migrate: embedded !== undefined });
    const db = embedded;
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second Ctrl-C, or a supervisor sending again: the drain goes on (the deadline
        // below bounds it); the default action would exit with PostgreSQL still running.
        log.warn(`${signal}: already shutting down`);
        return;
      }
      stopping = true;
      log.info(`${signal}: shutting down`);
      // A drain that never ends becomes a stop: PostgreSQL is still stopped, then the process.
      setTimeout(() => {
        console.error(`shutdown took over ${SHUTDOWN_DEADLINE_MS} ms; stopping now`);
        void Promise.resolve(db?.stop()).finally(() => process.exit(1));
      }, SHUTDOWN_DEADLINE_MS).unref();
      // Order matters: stop taking requests and drain work, close the pool, then PostgreSQL.
      app
        .close()
        .then(() => db?.stop())
        .then(
          () => process.exit(0),
          (err: unknown) => {
            console.error('shutdown failed:', err);
            process.exit(1);
          },
        );
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    await app.listen(config.port);
    log.info(
      { database: embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL' },
      `Bank Sync listening on http://localhost:${config.port} (docs: /docs) in ${Date.now() - started} ms`,
    );
  } catch (err) {
    if (embedded) await embedded.stop();
    throw err;
  }
}

main().catch((err: unknown) => {
  if (
    err instanceof ConfigError ||
    err instanceof PendingMigrationsError ||
    err instanceof SecretKeyError ||
    err instanceof DataDirError
  ) {
    console.error(err.message);
  } else {
    console.error('Bank Sync failed to start:', err);
  }
  process.exit(1);
});
