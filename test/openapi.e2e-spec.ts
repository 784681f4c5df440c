import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { offlineOpenApiDocument } from '../scripts/openapi-document';
import { startTestApp, type TestApp } from './support/app';
import { operations, type OpenApiDoc } from './support/openapi';

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.request('GET', '/docs-json')).body as OpenApiDoc;
  });
  afterAll(() => t.close());

  it('is what `npm run lint:openapi` lints: built offline, it equals the served one', async () => {
    expect(JSON.parse(JSON.stringify(await offlineOpenApiDocument()))).toEqual(doc);
  });

  it('marks exactly the public routes `security: []`, and every other one bearer', () => {
    const open: string[] = [];
    for (const { route, op } of operations(doc)) {
      expect([route, Array.isArray(op.security)]).toEqual([route, true]);
      if (op.security!.length === 0) open.push(route);
      else expect([route, op.security]).toEqual([route, [{ bearer: [] }]]);
    }
    expect(open.sort()).toEqual([
      'get /health',
      'get /health/ready',
      'post /webhooks/bank/transactions',
      'post /webhooks/{bankId}/transactions',
    ]);
  });

  it('declares servers, the license of package.json, and every tag it uses with a description', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      license: string;
    };
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toBe(pkg.license);
    const declared = new Map((doc.tags ?? []).map((tag) => [tag.name, tag.description ?? '']));
    const used = new Set(operations(doc).flatMap(({ op }) => op.tags ?? []));
    for (const tag of used)
      expect([tag, (declared.get(tag) ?? '').length > 0]).toEqual([tag, true]);
  });

  it('has no text in a description that Swagger UI would read as HTML or a quote', () => {
    // Swagger UI renders descriptions as Markdown with HTML allowed, then sanitizes: `<key>` is
    // an unknown tag and vanishes, a line starting with `>` becomes a block quote. Inside a code
    // span both are shown as written.
    const wrong: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'description' && typeof value === 'string') {
          const prose = value.replace(/`[^`]*`/g, '');
          if (/<[A-Za-z/!?]/.test(prose) || /^\s*>/m.test(prose)) wrong.push(`${at}: ${value}`);
        } else visit(value, `${at}/${key}`);
      }
    };
    visit(doc, '#');
    expect(wrong).toEqual([]);
    expect(doc.paths['/banks'].get.responses['401'].description).toContain(
      '`Authorization: Bearer <key>`',
    );
  });
});
