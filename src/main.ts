import 'reflect-metadata';
import { createApp, PendingMigrationsError } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { SecretKeyError } from './common/secret-box';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './database/embedded-postgres';

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      database: 'bank_sync',
      log: (line) => console.log(JSON.stringify({ level: 30, msg: line })),
    });
    databaseUrl = embedded.url;
  }
  try {
    const app = await createApp({ config, databaseUrl, migrate: embedded !== undefined });
    const db = embedded;
    let stopping = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      console.log(JSON.stringify({ level: 30, msg: `${signal}: shutting down` }));
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
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    await app.listen(config.port);
    console.log(
      JSON.stringify({
        level: 30,
        msg: `Bank Sync listening on http://localhost:${config.port} (docs: /docs) in ${Date.now() - started} ms`,
        database: embedded ? `embedded PostgreSQL in ${config.dataDir}` : 'DATABASE_URL',
      }),
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
    err instanceof SecretKeyError
  ) {
    console.error(err.message);
  } else {
    console.error('Bank Sync failed to start:', err);
  }
  process.exit(1);
});
