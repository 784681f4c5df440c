// The TypeORM CLI data source (`npm run migration:run | migration:revert | migration:generate`).
// With DATABASE_URL it works on that database; without, on the embedded PostgreSQL in DATA_DIR,
// exactly as `npm start` would, and stops it again when the command is done.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/config';
import { dataSourceOptions } from './src/database/data-source-options';
import { startEmbeddedPostgres } from './src/database/embedded-postgres';

async function cliDataSource(): Promise<DataSource> {
  const config = loadConfig();
  if (config.databaseUrl) return new DataSource(dataSourceOptions(config.databaseUrl, 2));
  const embedded = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPgPort,
    database: 'bank_sync',
    log: (line) => console.error(line),
  });
  const dataSource = new DataSource(dataSourceOptions(embedded.url, 2));
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    await destroy();
    await embedded.stop();
  };
  return dataSource;
}

export default cliDataSource();
