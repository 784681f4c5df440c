import 'reflect-metadata';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/database/embedded-postgres';
import { TEMPLATE_DB } from './database';
import { freePort } from './net';

declare global {
  var __BANK_SYNC_PG__: { db: EmbeddedDatabase; dir: string } | undefined;
}

/**
 * One PostgreSQL server per test run, and one database migrated with the real migrations that
 * every spec file clones (CREATE DATABASE ... TEMPLATE) into a fresh database of its own.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const dir = mkdtempSync(join(tmpdir(), 'bank-sync-test-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as the postgres user, which must enter it
  const db = await startEmbeddedPostgres({
    dataDir: dir,
    port: await freePort(),
    database: TEMPLATE_DB,
  });
  const dataSource = new DataSource(dataSourceOptions(db.url, 2));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  globalThis.__BANK_SYNC_PG__ = { db, dir };
  process.env.BANK_SYNC_TEST_PG_URL = db.url;
}
