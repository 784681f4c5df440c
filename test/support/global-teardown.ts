import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const pg = globalThis.__BANK_SYNC_PG__;
  if (!pg) return;
  await pg.db.stop();
  rmSync(pg.dir, { recursive: true, force: true });
}
