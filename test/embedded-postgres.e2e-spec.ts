import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

// As root PostgreSQL runs as the postgres user; as anyone else there is nothing to grant.
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

asRoot('embedded PostgreSQL in a DATA_DIR the postgres user cannot enter (root)', () => {
  const dirs: string[] = [];
  const privateDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'bank-sync-private-'));
    chmodSync(dir, 0o700); // root's, like `mkdir -m 700` or a folder under /root
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('a root-owned 0700 DATA_DIR gets the search bit for the postgres user, and initdb works', async () => {
    const dir = privateDir();
    const lines: string[] = [];
    const db = await startEmbeddedPostgres({
      dataDir: dir,
      port: 57000 + Math.floor(Math.random() * 1000),
      database: 'bank_sync',
      log: (line) => lines.push(line),
    });
    try {
      expect(await answers(db.url)).toBe(true);
    } finally {
      await db.stop();
    }
    expect(statSync(dir).mode & 0o777).toBe(0o701);
    expect(lines.join('\n')).toContain('was mode 0700');
  }, 60_000);

  it('a 0700 folder above DATA_DIR is not changed: the start stops and says what to do', async () => {
    const parent = privateDir();
    const dataDir = join(parent, 'data');
    await expect(
      startEmbeddedPostgres({ dataDir, port: 58000, database: 'bank_sync' }),
    ).rejects.toThrow(`cannot enter ${parent} (mode 0700)`);
    await expect(
      startEmbeddedPostgres({ dataDir, port: 58000, database: 'bank_sync' }),
    ).rejects.toThrow(`chmod o+x ${parent}`);
    expect(statSync(parent).mode & 0o777).toBe(0o700);
  });
});
