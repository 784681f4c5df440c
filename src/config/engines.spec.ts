import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// semver 6 ships no types; the two functions used here are all this test needs of it.
const semver = createRequire(__filename)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const root = join(__dirname, '..', '..');
const read = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));

describe('engines', () => {
  it('every locked package runs on the oldest Node that package.json promises', () => {
    const pkg = read('package.json') as { engines: { node: string } };
    const oldest = semver.minVersion(pkg.engines.node)!.version;
    const lock = read('package-lock.json') as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const refused = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .flatMap(([path, entry]) => {
        const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return node && !semver.satisfies(oldest, node)
          ? [`${path.replace(/^.*node_modules\//, '')}@${entry.version}: node ${node}`]
          : [];
      });
    expect({ oldest, refused }).toEqual({ oldest, refused: [] });
  });
});
