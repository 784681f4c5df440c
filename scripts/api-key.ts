// npm run api-key -- --role admin --name NAME: creates a staff API key and prints it once.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, ROLES, type Role } from '../src/auth/api-key.entity';
import { hashApiKey, newApiKey } from '../src/auth/api-key.crypto';
import { loadConfig } from '../src/config/config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';
import { pendingMigrations } from '../src/health/health.service';

/** Inserts a key on an open data source; returns the key (shown once) and its id. */
export async function createApiKey(
  dataSource: DataSource,
  role: Role,
  name: string,
): Promise<{ id: string; key: string }> {
  const key = newApiKey();
  const repo = dataSource.getRepository(ApiKeyEntity);
  const saved = await repo.save(repo.create({ name, role, keyHash: hashApiKey(key) }));
  return { id: saved.id, key };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, name: { type: 'string' } },
  });
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role) || !values.name) {
    throw new Error(`usage: npm run api-key -- --role ${ROLES.join('|')} --name NAME`);
  }
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
  const dataSource = new DataSource(dataSourceOptions(url, 1));
  try {
    await dataSource.initialize();
    if (embedded) await dataSource.runMigrations({ transaction: 'each' });
    else if ((await pendingMigrations(dataSource)).length > 0) {
      throw new Error('the database schema is behind; run: npm run migration:run');
    }
    const { id, key } = await createApiKey(dataSource, role, values.name);
    console.error(`created ${role} key "${values.name}" (id ${id}); it is shown only now:`);
    console.log(key);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
