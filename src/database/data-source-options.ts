import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { DatabaseLogger } from './database-logger';
import { ENTITIES } from './entities';

/** One set of options for the app, the TypeORM CLI (ormconfig.ts) and the tests. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    // gen_random_uuid() is built into PostgreSQL 13+; no extension to install.
    uuidExtension: 'pgcrypto',
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    logger: new DatabaseLogger(),
    extra: {
      max: poolSize,
      // Fail fast when PostgreSQL is unreachable: a bank gets 503 and retries, instead of
      // the request hanging until the bank's own timeout.
      connectionTimeoutMillis: 3000,
      statement_timeout: 30_000,
      application_name: 'bank-sync',
    },
  };
}
