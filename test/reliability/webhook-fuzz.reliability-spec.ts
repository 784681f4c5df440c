import fc from 'fast-check';
import { startTestApp, type TestApp } from '../support/app';
import { query } from '../support/database';
import { hmacHex, seedBody, WEBHOOK_SECRET } from '../support/webhooks';
import { recordFigures } from './support/figures';

// Reproducible by default; FUZZ_SEED / FUZZ_RUNS explore further (the seed is printed on failure).
const SEED = Number(process.env.FUZZ_SEED ?? 20260227);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

const q = (s: string): string => JSON.stringify(s);

const nasty = fc.constantFrom(
  "'; DROP TABLE transactions; --",
  "' OR '1'='1",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}',
  '../../etc/passwd',
  '%00%27',
  'INV-001\u0000x',
  '\u0000',
  '\ud800',
  '\u202eINV-001',
  'NaN',
  'Infinity',
  '１２３',
  '𝟘𝟙𝟚',
  'x'.repeat(2001),
);
const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  nasty,
);

const numberToken = fc.oneof(
  fc.constantFrom(
    '1e309',
    '-1e309',
    '1e-400',
    '123456789012345678901234567890',
    '9'.repeat(400),
    '0',
    '-0',
    '0.0',
    '5000',
    '5000.00',
    '5000.001',
    '1E2',
    '1e2',
    '-5',
    '0.5',
    '99999999999999.99',
    '999999999999999',
    '9999999999999999',
    '1.7976931348623157e308',
    '5e-324',
    '100.10',
  ),
  fc.double().map((x) => JSON.stringify(x)),
  fc.bigInt().map(String),
  fc.integer({ min: 1, max: 10_000_000 }).map(String),
);
const amountToken = fc.oneof(
  numberToken,
  numberToken.map(q),
  fc.constantFrom(
    '"NaN"',
    '"Infinity"',
    '"-Infinity"',
    '"1e3"',
    '" 5"',
    '"0x10"',
    '"1,000.00"',
    '"١٢٣"',
    'true',
    'null',
    '[]',
    '{}',
    '[5000]',
    '{"value":5000}',
  ),
  text.map(q),
);
const currencyToken = fc.oneof(
  fc.constantFrom('NGN', 'JPY', 'KWD', 'USD', 'ngn', 'XXX', 'XTS', 'BGN', 'NG', 'NGNN', '').map(q),
  fc.string({ maxLength: 4 }).map(q),
  fc.constantFrom('1', 'null', '["NGN"]', '{"code":"NGN"}'),
);
const whenToken = fc.oneof(
  fc
    .date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => q(d.toISOString())),
  fc
    .constantFrom(
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59+14:00',
      '2026-02-30T00:00:00Z',
      '2026-02-27T12:00:00',
      '2026-02-27',
      '2026-13-01T00:00:00Z',
      '2026-02-27T24:00:00Z',
      '2026-02-27T12:00:00.1234567891Z',
      '2026-02-27T12:00:00+99:99',
      '-002026-02-27T12:00:00Z',
      '+275760-09-13T00:00:00Z',
    )
    .map(q),
  fc.constantFrom('1772193600', 'null', '[]'),
  text.map(q),
);
const idToken = fc.oneof(
  fc.uuid().map(q),
  text.map(q),
  fc.constantFrom('1', 'null', '["a"]', '{}', '""', '"   "'),
);
const optionalText = fc.oneof(text.map(q), fc.constantFrom('null', '1', '[]', '{"a":1}'));

/** A seed-format body assembled token by token, so raw number tokens and duplicates survive. */
const seedLike = fc
  .record({
    transaction_id: idToken,
    amount: amountToken,
    currency: currencyToken,
    occurred_at: whenToken,
    direction: fc.constantFrom('"credit"', '"debit"', '"CREDIT"', '1', 'null'),
    reference: optionalText,
    description: optionalText,
    counterparty: optionalText,
    extra: fc.option(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null')),
    duplicate: fc.option(
      fc.tuple(fc.constantFrom('amount', 'currency', 'transaction_id'), amountToken),
    ),
  })
  .chain((r) =>
    fc.subarray(Object.keys(r).filter((k) => k !== 'extra' && k !== 'duplicate')).map((keep) => {
      const parts = keep.map((k) => `${q(k)}:${r[k as keyof typeof r] as string}`);
      if (r.extra !== null) parts.push(`"extra":${r.extra}`);
      if (r.duplicate !== null) parts.push(`${q(r.duplicate[0])}:${r.duplicate[1]}`);
      return `{${parts.join(',')}}`;
    }),
  );

const validRaw = (id: string): string =>
  JSON.stringify(seedBody({ transaction_id: `fz-${id}`, amount: '12.50' }));

/** Bytes that are not UTF-8, placed inside a JSON string of an otherwise valid body. */
const invalidUtf8 = fc
  .tuple(
    fc.constantFrom(
      [0xff],
      [0xc3, 0x28],
      [0xed, 0xa0, 0x80],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0xc0, 0xaf],
      [0xe2, 0x82],
      [0xf4, 0x90, 0x80, 0x80],
    ),
    fc.constantFrom('transaction_id', 'reference', 'description'),
  )
  .map(([bytes, field]) => ({ bytes, field }));

type Body = { kind: string; raw: string | Buffer };

/** A valid body with one field replaced by an adversarial token: reaches the storage path. */
const mutated = fc
  .tuple(
    fc.uuid(),
    fc.oneof(
      fc.tuple(fc.constant('transaction_id'), idToken),
      fc.tuple(fc.constant('amount'), amountToken),
      fc.tuple(fc.constant('currency'), currencyToken),
      fc.tuple(fc.constant('occurred_at'), whenToken),
      fc.tuple(fc.constantFrom('reference', 'description', 'counterparty'), optionalText),
    ),
  )
  .map(([id, [field, token]]) => {
    const body = seedBody({ transaction_id: `fz-${id}`, amount: '12.50', [field]: '@@' });
    return { kind: `mutated-${field}`, raw: JSON.stringify(body).replace('"@@"', token) };
  });

const bodies: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: seedLike.map((raw) => ({ kind: 'seed-like', raw })) },
  { weight: 4, arbitrary: mutated },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1000, max: 60_000 }), fc.boolean())
      .map(([n, arrays]) => ({
        kind: 'deep-nesting',
        raw: arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n),
      })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1000, max: 10_000 }).map((n) => ({
      kind: 'deep-extra-field',
      raw: validRaw(`deep-${n}`).replace(/}$/, `,"x":${'['.repeat(n)}${']'.repeat(n)}}`),
    })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { kind: 'array-for-object', raw: `[${validRaw('arr')}]` },
      { kind: 'scalar', raw: '1' },
      { kind: 'scalar', raw: 'null' },
      { kind: 'scalar', raw: '"text"' },
      { kind: 'empty', raw: '' },
      { kind: 'bom', raw: '\ufeff' + validRaw('bom') },
      { kind: 'nan-literal', raw: validRaw('nan').replace('"12.50"', 'NaN') },
      { kind: 'infinity-literal', raw: validRaw('inf').replace('"12.50"', 'Infinity') },
      { kind: 'proto', raw: validRaw('proto').replace(/}$/, ',"__proto__":{"amount":-1}}') },
    ),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((raw) => ({ kind: 'json', raw })) },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 512 })
      .map((b) => ({ kind: 'bytes', raw: Buffer.from(b) })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(invalidUtf8, fc.uuid()).map(([{ bytes, field }, id]) => {
      const body = seedBody({ transaction_id: `fz-${id}`, [field]: 'AB@@CD' });
      const [before, after] = JSON.stringify(body).split('@@');
      return {
        kind: 'invalid-utf8',
        raw: Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]),
      };
    }),
  },
);

type Damage =
  | 'none'
  | 'flip'
  | 'truncate'
  | 'upper'
  | 'prefix'
  | 'wrong-prefix'
  | 'empty'
  | 'missing'
  | 'wrong-secret'
  | 'other-body'
  | 'twice'
  | 'long'
  | 'no-event-id'
  | 'blank-event-id'
  | 'long-event-id'
  | 'latin1-event-id'
  | 'text-plain'
  | 'no-content-type'
  | 'utf16'
  | 'vendor-json';

const damages = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Damage>('none') },
  {
    weight: 6,
    arbitrary: fc.constantFrom<Damage>(
      'flip',
      'truncate',
      'upper',
      'prefix',
      'wrong-prefix',
      'empty',
      'missing',
      'wrong-secret',
      'other-body',
      'twice',
      'long',
      'no-event-id',
      'blank-event-id',
      'long-event-id',
      'latin1-event-id',
      'text-plain',
      'no-content-type',
      'utf16',
      'vendor-json',
    ),
  },
);

/** Signs `raw` with the default bank's secret, then damages the signature or headers. */
function headersFor(raw: Buffer, eventId: string, damage: Damage): Headers {
  const sig = hmacHex(WEBHOOK_SECRET, raw);
  const h = new Headers({ 'content-type': 'application/json', 'x-event-id': eventId });
  const signatures: Partial<Record<Damage, string | null>> = {
    flip: sig.slice(0, 10) + (sig[10] === 'a' ? 'b' : 'a') + sig.slice(11),
    truncate: sig.slice(0, 40),
    upper: sig.toUpperCase(),
    prefix: `sha256=${sig}`,
    'wrong-prefix': `sha1=${sig}`,
    empty: '',
    missing: null,
    'wrong-secret': hmacHex('another-secret-123', raw),
    'other-body': hmacHex(WEBHOOK_SECRET, Buffer.concat([raw, Buffer.from(' ')])),
    long: sig.repeat(100),
  };
  const s = damage in signatures ? signatures[damage] : sig;
  if (s !== null && s !== undefined) h.set('x-signature', s);
  if (damage === 'twice') h.append('x-signature', 'deadbeef');
  if (damage === 'no-event-id') h.delete('x-event-id');
  if (damage === 'blank-event-id') h.set('x-event-id', '   ');
  if (damage === 'long-event-id') h.set('x-event-id', 'e'.repeat(201));
  if (damage === 'latin1-event-id') h.set('x-event-id', `${eventId}-\u00e9\u00ff`);
  if (damage === 'text-plain') h.set('content-type', 'text/plain');
  if (damage === 'no-content-type') h.delete('content-type');
  if (damage === 'utf16') h.set('content-type', 'application/json; charset=utf-16');
  if (damage === 'vendor-json') h.set('content-type', 'application/vnd.api+json');
  return h;
}

describe('fuzzing the webhook endpoint (signed adversarial deliveries)', () => {
  let t: TestApp;
  const statuses = new Map<number, number>();
  const rejected: string[] = [];
  const accepted: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers every delivery with 2xx or 4xx problem+json, never 5xx or a reset', async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(bodies, damages, async (body, damage) => {
        const raw = typeof body.raw === 'string' ? Buffer.from(body.raw) : body.raw;
        const headers = headersFor(raw, `fz-evt-${++sent}`, damage);
        const eventId = Buffer.from(headers.get('x-event-id') ?? '', 'latin1').toString('latin1');
        const res = await fetch(`${t.url}/webhooks/bank/transactions`, {
          method: 'POST',
          headers,
          body: new Uint8Array(raw),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const what = `${body.kind}/${damage} → ${res.status} ${text.slice(0, 300)}`;
        expect([what, res.status < 500]).toEqual([what, true]);
        // Bytes that are not UTF-8 never become a stored transaction (with U+FFFD in it).
        if (body.kind === 'invalid-utf8') expect([what, res.status >= 400]).toEqual([what, true]);
        if (res.status >= 400) {
          expect([what, res.headers.get('content-type')]).toEqual([
            what,
            expect.stringMatching(/^application\/problem\+json/),
          ]);
          const problem = JSON.parse(text) as { status: number; type: string; title: string };
          expect(problem.status).toBe(res.status);
          rejected.push(eventId);
        } else {
          expect([what, JSON.parse(text)]).toEqual([what, expect.objectContaining({ ok: true })]);
          accepted.push(eventId);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    recordFigures('fuzz', {
      seed: SEED,
      deliveries: sent,
      seconds: (Date.now() - started) / 1000,
      statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
    });
    expect(accepted.length).toBeGreaterThan(10);
    expect(rejected.length).toBeGreaterThan(RUNS / 3);
  }, 120_000);

  it('stored nothing for a rejected delivery and nothing invalid at all', async () => {
    const storedRejected = await query(
      t.databaseUrl,
      `SELECT event_id FROM webhook_events WHERE event_id = ANY($1::text[])`,
      [rejected],
    );
    expect(storedRejected).toEqual([]);
    const events = await query<{ n: string }>(
      t.databaseUrl,
      `SELECT count(*) AS n FROM webhook_events WHERE event_id = ANY($1::text[])`,
      [accepted],
    );
    expect(Number(events[0].n)).toBe(accepted.length);
    const bad = await query(
      t.databaseUrl,
      `SELECT external_id, amount::text, currency FROM transactions
        WHERE amount IS NULL OR amount <= 0 OR currency !~ '^[A-Z]{3}$'
           OR (currency IN ('JPY','KRW','VND','CLP','ISK','UGX','XAF','XOF') AND amount <> trunc(amount))
           OR (currency IN ('KWD','BHD','JOD','OMR','TND','IQD','LYD') AND amount <> trunc(amount, 3))
           OR (amount <> trunc(amount, 4))
           OR direction NOT IN ('credit', 'debit') OR occurred_at IS NULL`,
    );
    expect(bad).toEqual([]);
  });

  it('stays healthy and keeps accepting ordinary deliveries', async () => {
    expect((await t.request('GET', '/health/ready')).status).toBe(200);
    const raw = validRaw('after-fuzz');
    const res = await fetch(`${t.url}/webhooks/bank/transactions`, {
      method: 'POST',
      headers: headersFor(Buffer.from(raw), 'fz-after', 'none'),
      body: raw,
    });
    expect(res.status).toBe(202);
  });
});
