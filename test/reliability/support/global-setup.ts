import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import e2eGlobalSetup from '../../support/global-setup';

export const ROOT = join(__dirname, '..', '..', '..');

/**
 * The e2e setup (one embedded PostgreSQL, a migrated template database), plus a fresh build:
 * the crash and outage specs run the built service (`node dist/src/main.js`) as a real process.
 */
export default async function globalSetup(): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? String(err);
    throw new Error(`the build failed; the reliability suite runs the built service:\n${out}`, {
      cause: err,
    });
  }
  if (!existsSync(join(ROOT, 'dist', 'src', 'main.js'))) {
    throw new Error('the build wrote no dist/src/main.js');
  }
  await e2eGlobalSetup();
}
