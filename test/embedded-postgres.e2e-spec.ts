import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';

async function answers(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The process group of a process (Linux: /proc/<pid>/stat, the field after state and ppid). */
function processGroup(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('embedded PostgreSQL lifecycle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bank-sync-embedded-'));
  chmodSync(dir, 0o755);
  const port = 56000 + Math.floor(Math.random() * 1000);
  let first: EmbeddedDatabase | undefined;
  let third: EmbeddedDatabase | undefined;

  afterAll(async () => {
    await third?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('initialises on first use, and a second user on the same DATA_DIR shares the running cluster', async () => {
    first = await startEmbeddedPostgres({ dataDir: dir, port, database: 'bank_sync' });
    expect(await answers(first.url)).toBe(true);
    // Its own process group: a terminal's Ctrl-C reaches the service, which stops it last.
    const postmaster = Number(
      readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    expect(processGroup(postmaster)).toBe(postmaster);
    expect(processGroup(postmaster)).not.toBe(processGroup('self'));
    // Like `npm run api-key` while the service runs: it must not stop the service's database.
    // (Same process here, so pretend the owner is another live process: our parent.)
    writeFileSync(join(dir, 'pg', 'bank-sync.owner'), String(process.ppid));
    const second = await startEmbeddedPostgres({ dataDir: dir, port: port + 1, database: 'other' });
    expect(second.url).toContain(`:${port}/other`);
    await second.stop();
    expect(await answers(first.url)).toBe(true);
  }, 60_000);

  it('stops a postmaster orphaned by a killed owner and starts cleanly', async () => {
    const dead = spawnSync('true').pid; // a pid that no longer runs
    writeFileSync(join(dir, 'pg', 'bank-sync.owner'), String(dead));
    third = await startEmbeddedPostgres({ dataDir: dir, port, database: 'bank_sync' });
    expect(await answers(third.url)).toBe(true);
  }, 60_000);
});
