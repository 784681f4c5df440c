import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The module boundaries the code keeps (docs/ARCHITECTURE.md, "Boundaries"): read from the
// import statements of every source file, so a new import across a boundary fails here.

const SRC = __dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The top-level folder of src/ each relative import of `file` lands in. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const folders: string[] = [];
  for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
    const target = relative(SRC, resolve(dirname(file), m[1]));
    folders.push(target.includes('/') ? target.split('/')[0] : '(top)');
  }
  return folders;
}

const folderOf = (file: string): string => relative(SRC, file).split('/')[0];

function crossings(from: string): Set<string> {
  const found = new Set<string>();
  for (const file of sourceFiles(join(SRC, from))) {
    for (const folder of importedFolders(file)) if (folder !== folderOf(file)) found.add(folder);
  }
  return found;
}

describe('module boundaries', () => {
  it('common/ imports no feature (only config, which it is configured by)', () => {
    expect([...crossings('common')].filter((f) => f !== 'config')).toEqual([]);
  });

  it('no source of transactions depends on another: webhooks, the pull, statements', () => {
    expect(crossings('webhooks').has('reconciliation')).toBe(false);
    expect(crossings('webhooks').has('statements')).toBe(false);
    expect(crossings('reconciliation').has('webhooks')).toBe(false);
    expect(crossings('reconciliation').has('statements')).toBe(false);
    expect(crossings('banks').has('webhooks')).toBe(false);
  });

  it('the intake core depends on no source', () => {
    const intake = crossings('intake');
    for (const source of ['webhooks', 'reconciliation', 'banks', 'statements']) {
      expect(intake.has(source)).toBe(false);
    }
  });

  it('finds the imports it checks (the scan itself works)', () => {
    expect(crossings('webhooks').has('intake')).toBe(true);
    expect(crossings('reconciliation').has('intake')).toBe(true);
  });
});
