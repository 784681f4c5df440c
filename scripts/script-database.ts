import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';
import { pendingMigrations } from '../src/health/health.service';

/**
 * Runs `work` on the service's database, as `npm start` would find it: DATABASE_URL (refused
 * while migrations are pending), or the embedded PostgreSQL in DATA_DIR (shared with a running
 * service, migrated otherwise). Everything it opened is closed afterwards.
 */
export async function withScriptDatabase<T>(
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      database: 'bank_sync',
    });
    url = embedded.url;
  }
  const dataSource = new DataSource(dataSourceOptions(url, 2));
  try {
    await dataSource.initialize();
    if (embedded) await dataSource.runMigrations({ transaction: 'each' });
    else if ((await pendingMigrations(dataSource)).length > 0) {
      throw new Error('the database schema is behind; run: npm run migration:run');
    }
    return await work(dataSource);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}
