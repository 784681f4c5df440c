import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { join } from 'node:path';
import { offlineOpenApiDocument } from '../scripts/openapi-document';
import { statusTitle } from '../src/common/problem';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { operations, schemaValidator, type OpenApiDoc } from './support/openapi';
import { hmacHex, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET, MAX_BODY_BYTES: '1024' });
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

  const PROBLEM = 'application/problem+json';

  it('gives each problem answer an example of its own status, valid against Problem', () => {
    const validate = schemaValidator(doc);
    const wrong: string[] = [];
    for (const { route, op } of operations(doc)) {
      for (const [status, res] of Object.entries(op.responses)) {
        const media = res.content?.[PROBLEM];
        if (!media) continue;
        const example = media.example as { type: string; title: string; status: number };
        const errors = validate('/components/schemas/Problem', example);
        if (
          example?.status !== Number(status) ||
          example.title !== statusTitle(Number(status)) ||
          // The fallback for a 409 that no table names: each conflict is its own kind.
          example.type === '/problems/conflict' ||
          errors.length > 0
        ) {
          wrong.push(`${route} ${status}: ${JSON.stringify(example)} ${errors.join('; ')}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("shows the type, title and fields of the service's real problem answers", async () => {
    const admin = bearer(ADMIN_KEY);
    const viewer = await t.request('POST', '/api-keys', {
      headers: admin,
      json: { name: 'openapi-viewer', role: 'viewer' },
    });
    const webhook = (raw: string, headers: Record<string, string>) =>
      t.request('POST', '/webhooks/bank/transactions', { headers, body: raw });
    const valid = JSON.stringify(seedBody({ transaction_id: 'oa_problem' }));
    const signed = (raw: string) => ({
      'content-type': 'application/json',
      'x-event-id': 'oa_problem_evt',
      'x-signature': hmacHex(WEBHOOK_SECRET, raw),
    });
    const invoice = { invoice_number: 'INV-OAP', amount_due: '1.00', currency: 'NGN' };
    expect((await t.request('POST', '/invoices', { headers: admin, json: invoice })).status).toBe(
      201,
    );
    const tooBig = JSON.stringify(seedBody({ description: 'x'.repeat(2048) }));
    const cases: Array<
      [route: string, status: number, answer: Promise<{ status: number; body: unknown }>]
    > = [
      ['get /banks', 400, t.request('GET', '/banks?limit=9999', { headers: admin })],
      ['get /banks', 401, t.request('GET', '/banks')],
      [
        'post /banks',
        403,
        t.request('POST', '/banks', { headers: bearer(viewer.body.key), json: {} }),
      ],
      ['get /banks/{id}', 404, t.request('GET', '/banks/no-such-bank', { headers: admin })],
      [
        'post /banks',
        409,
        t.request('POST', '/banks', {
          headers: admin,
          json: {
            id: 'default',
            name: 'x',
            signature_scheme: 'hmac-sha256',
            secrets: ['s3cret-s3cret'],
          },
        }),
      ],
      ['post /invoices', 409, t.request('POST', '/invoices', { headers: admin, json: invoice })],
      [
        'post /webhooks/bank/transactions',
        400,
        webhook(
          JSON.stringify(seedBody({ amount: -1 })),
          signed(JSON.stringify(seedBody({ amount: -1 }))),
        ),
      ],
      [
        'post /webhooks/bank/transactions',
        401,
        webhook(valid, { ...signed(valid), 'x-signature': '00' }),
      ],
      [
        'post /webhooks/{bankId}/transactions',
        404,
        sendSigned(t, valid, 'oa_evt_404', { path: '/webhooks/no-such-bank/transactions' }),
      ],
      ['post /webhooks/bank/transactions', 413, webhook(tooBig, signed(tooBig))],
      [
        'post /webhooks/bank/transactions',
        415,
        webhook(valid, { ...signed(valid), 'content-type': 'text/plain' }),
      ],
    ];
    for (const [route, status, answer] of cases) {
      const [method, path] = route.split(' ');
      const example = doc.paths[path][method].responses[status].content?.[PROBLEM]
        ?.example as Record<string, unknown>;
      const real = await answer;
      const shape = (body: unknown) => {
        const { type, title, status: code, ...rest } = body as Record<string, unknown>;
        return { type, title, status: code, fields: Object.keys(rest).sort() };
      };
      expect([route, real.status, shape(real.body)]).toEqual([route, status, shape(example)]);
    }
  });

  it('shows a POST /banks example for each signature scheme, and each one creates its bank', async () => {
    const media = doc.paths['/banks'].post.requestBody!.content['application/json'];
    const examples = Object.values(media.examples ?? {}).map(
      (e) => e.value as { id: string; signature_scheme: string; secrets: string[] },
    );
    const schemes = (
      doc.components.schemas.CreateBankDto as {
        properties: { signature_scheme: { enum: string[] } };
      }
    ).properties.signature_scheme.enum;
    expect(examples.map((e) => e.signature_scheme).sort()).toEqual([...schemes].sort());
    for (const example of examples) {
      const res = await t.request('POST', '/banks', { headers: bearer(ADMIN_KEY), json: example });
      expect([example.id, res.status, res.body]).toEqual([
        example.id,
        201,
        expect.objectContaining({ id: example.id }),
      ]);
    }
    // The standard-webhooks example's secret is one a sender really signs with.
    const sw = examples.find((e) => e.signature_scheme === 'standard-webhooks')!;
    const raw = JSON.stringify(seedBody({ transaction_id: 'oa_sw_1' }));
    const at = new Date();
    const signature = new Webhook(sw.secrets[0]).sign('oa_sw_evt_1', at, raw);
    const delivered = await t.request('POST', `/webhooks/${sw.id}/transactions`, {
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'oa_sw_evt_1',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: raw,
    });
    expect(delivered.status).toBe(202);
  });
});
