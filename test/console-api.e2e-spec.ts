import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { offlineOpenApiDocument } from '../scripts/openapi-document';

const ROOT = join(__dirname, '..');
const COMMITTED = join(ROOT, 'console', 'src', 'api', 'schema.d.ts');

// The console's client is typed from the OpenAPI document; a route or field changed without
// `npm run console:api` makes the console's types lie. Regenerated here the way that script
// does, it must equal the committed file byte for byte.
describe('the console API types', () => {
  it('are what openapi-typescript makes of the current document (npm run console:api)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-api-'));
    try {
      const doc = join(dir, 'openapi.json');
      const out = join(dir, 'schema.d.ts');
      writeFileSync(doc, JSON.stringify(await offlineOpenApiDocument(), null, 2) + '\n');
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js'), doc, '-o', out],
        { cwd: ROOT, stdio: 'pipe' },
      );
      const fresh = readFileSync(out, 'utf8');
      const committed = readFileSync(COMMITTED, 'utf8');
      if (fresh !== committed) {
        throw new Error(
          'console/src/api/schema.d.ts is out of date with the API: run npm run console:api',
        );
      }
      expect(fresh).toContain('"/api-keys/me"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
