import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';

export const TEMPLATE_DB = 'bank_sync_test_template';

function baseUrl(): string {
  const url = process.env.BANK_SYNC_TEST_PG_URL;
  if (!url) throw new Error('BANK_SYNC_TEST_PG_URL is unset: run the e2e tests through jest');
  return url;
}

function withDatabase(url: string, name: string): string {
  return url.replace(/\/[^/]*$/, `/${name}`);
}

/** Tests refuse to touch a database whose name does not say it is a test database. */
export function assertTestDatabase(url: string): void {
  const name = new URL(url).pathname.slice(1);
  if (!/^bank_sync_test_/.test(name)) {
    throw new Error(`refusing to run tests against "${name}": not a bank_sync_test_* database`);
  }
}

/** A fresh database, cloned from the migrated template, for one spec file. */
export async function createTestDatabase(): Promise<string> {
  const name = `bank_sync_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(baseUrl(), 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(baseUrl(), name);
  assertTestDatabase(url);
  return url;
}

/** An empty database with no migrations applied. */
export async function createEmptyDatabase(): Promise<string> {
  const name = `bank_sync_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: withDatabase(baseUrl(), 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(baseUrl(), name);
}

/** A short-lived pg client on a test database, for assertions on what is stored. */
export async function query<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  assertTestDatabase(url);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A new database migrated up to just before `migration` (every later one undone, newest first),
 * for a test that writes rows the way they were before it and then migrates the rest.
 */
export async function migratedUpTo(
  migration: string,
): Promise<{ url: string; dataSource: DataSource }> {
  const url = await createEmptyDatabase();
  const dataSource = new DataSource(dataSourceOptions(url, 1));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const names = dataSource.migrations.map((m) => m.name);
  const at = names.indexOf(migration);
  if (at < 0) throw new Error(`no migration ${migration}`);
  for (let i = names.length - 1; i >= at; i--) await dataSource.undoLastMigration();
  return { url, dataSource };
}
