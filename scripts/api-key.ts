// npm run api-key -- --role admin --name NAME: creates a staff API key and prints it once.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { ApiKeyEntity, ROLES, type Role } from '../src/auth/api-key.entity';
import { hashApiKey, newApiKey } from '../src/auth/api-key.crypto';
import { appendAudit } from '../src/audit/audit-log';
import { SYSTEM_ACTOR_NAME } from '../src/reconciliation/match-ledger';
import { withScriptDatabase } from './script-database';

/** Inserts a key on an open data source; returns the key (shown once) and its id. */
export async function createApiKey(
  dataSource: DataSource,
  role: Role,
  name: string,
): Promise<{ id: string; key: string }> {
  const key = newApiKey();
  const saved = await dataSource.transaction(async (m) => {
    const row = await m.save(m.create(ApiKeyEntity, { name, role, keyHash: hashApiKey(key) }));
    // Nobody's key made it: whoever could run this command had the database already.
    await appendAudit(m, [
      {
        actor: { name: SYSTEM_ACTOR_NAME, keyId: null },
        action: 'api_key.created',
        entity: 'api_key',
        entityId: row.id,
        data: { name, role, via: 'npm run api-key' },
      },
    ]);
    return row;
  });
  return { id: saved.id, key };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { role: { type: 'string' }, name: { type: 'string' } },
  });
  const role = values.role as Role | undefined;
  const name = values.name;
  if (!role || !ROLES.includes(role) || !name) {
    throw new Error(`usage: npm run api-key -- --role ${ROLES.join('|')} --name NAME`);
  }
  await withScriptDatabase(async (dataSource) => {
    const { id, key } = await createApiKey(dataSource, role, name);
    console.error(`created ${role} key "${name}" (id ${id}); it is shown only now:`);
    console.log(key);
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
