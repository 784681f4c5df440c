import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  HeaderBag,
  SIGNATURE_SCHEMES,
  SignatureConfig,
  SignatureScheme,
  headerEventId,
  validateSecret,
  verifySignature,
} from './signature-schemes';

const BODY =
  '{"transaction_id":"txn_001","amount":5000,"currency":"NGN",' +
  '"occurred_at":"2026-02-27T12:00:00Z","reference":"INV-001"}';
const RAW = Buffer.from(BODY);
const SECRET = 'test-secret-123';
// printf '%s' "$BODY" | openssl dgst -sha256 -hmac 'test-secret-123'
const OPENSSL_VECTOR = '9a4ac1e7c40c9ebe0dafa916c0d447d82e36bc36f26721d9b00b19ab6b85916b';

const WHSEC = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const WHSEC_OLD = `whsec_${randomBytes(24).toString('base64')}`;
const NOW_MS = Date.UTC(2026, 1, 27, 12, 0, 0);
const NOW_S = NOW_MS / 1000;

function hexHmac(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** A valid signature's bytes with one byte changed: right everywhere else, so a comparison of
 * only a prefix (or of any subset of the bytes) accepts it. */
function withByteFlipped(signature: Buffer, at: number): Buffer {
  const changed = Buffer.from(signature);
  changed[at] ^= 0x01;
  return changed;
}

const EVERY_BYTE = Array.from({ length: 32 }, (_, i) => i);

function hmacCfg(overrides: Partial<SignatureConfig> = {}): SignatureConfig {
  return {
    scheme: 'hmac-sha256',
    secrets: [SECRET],
    signatureHeader: 'x-signature',
    eventIdHeader: 'x-event-id',
    ...overrides,
  };
}

function swCfg(secrets: readonly string[] = [WHSEC]): SignatureConfig {
  return { scheme: 'standard-webhooks', secrets, signatureHeader: '', eventIdHeader: '' };
}

function swHeaders(secret: string, id = 'msg_1', atSeconds = NOW_S, body = BODY): HeaderBag {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(atSeconds),
    'webhook-signature': new Webhook(secret).sign(id, new Date(atSeconds * 1000), body),
  };
}

describe('SIGNATURE_SCHEMES', () => {
  it('lists every scheme once', () => {
    expect([...SIGNATURE_SCHEMES].sort()).toEqual(['hmac-sha256', 'standard-webhooks', 'up']);
  });
});

describe('verifySignature: hmac-sha256', () => {
  it('matches the openssl vector', () => {
    expect(hexHmac(SECRET, RAW)).toBe(OPENSSL_VECTOR);
    expect(verifySignature(hmacCfg(), { 'x-signature': OPENSSL_VECTOR }, RAW)).toEqual({
      ok: true,
    });
  });

  it.each([
    ['bare lower-case hex', (h: string) => h],
    ['upper-case hex', (h: string) => h.toUpperCase()],
    ['sha256= prefix', (h: string) => `sha256=${h}`],
    ['SHA256= prefix, upper-case hex', (h: string) => `SHA256=${h.toUpperCase()}`],
    ['surrounding whitespace', (h: string) => ` \tsha256=${h} `],
  ])('accepts %s', (_name, format) => {
    const headers = { 'x-signature': format(hexHmac(SECRET, RAW)) };
    expect(verifySignature(hmacCfg(), headers, RAW)).toEqual({ ok: true });
  });

  it('reads a configured header name case-insensitively', () => {
    const cfg = hmacCfg({ signatureHeader: 'X-Webhook-Signature' });
    const sig = hexHmac(SECRET, RAW);
    expect(verifySignature(cfg, { 'x-webhook-signature': sig }, RAW)).toEqual({ ok: true });
    expect(verifySignature(cfg, { 'x-signature': sig }, RAW)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('falls back to X-Signature when no header name is configured', () => {
    const cfg = hmacCfg({ signatureHeader: '' });
    expect(verifySignature(cfg, { 'x-signature': OPENSSL_VECTOR }, RAW)).toEqual({ ok: true });
  });

  it('accepts a delivery signed with any active secret (rotation)', () => {
    const cfg = hmacCfg({ secrets: ['old-secret-1', SECRET] });
    expect(verifySignature(cfg, { 'x-signature': OPENSSL_VECTOR }, RAW)).toEqual({ ok: true });
    const byOld = { 'x-signature': hexHmac('old-secret-1', RAW) };
    expect(verifySignature(cfg, byOld, RAW)).toEqual({ ok: true });
    expect(verifySignature(hmacCfg(), byOld, RAW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a body tampered by one byte', () => {
    const tampered = Buffer.from(RAW);
    tampered[tampered.length - 2] ^= 0x01;
    expect(verifySignature(hmacCfg(), { 'x-signature': OPENSSL_VECTOR }, tampered)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects the valid signature with its last byte flipped, or any other one', () => {
    const valid = Buffer.from(OPENSSL_VECTOR, 'hex');
    for (const at of EVERY_BYTE) {
      const forged = withByteFlipped(valid, at).toString('hex');
      expect([at, verifySignature(hmacCfg(), { 'x-signature': forged }, RAW)]).toEqual([
        at,
        { ok: false, reason: 'bad_signature' },
      ]);
      // An array-valued header is compared by another path (candidates against every key).
      expect([at, verifySignature(hmacCfg(), { 'x-signature': [forged] }, RAW)]).toEqual([
        at,
        { ok: false, reason: 'bad_signature' },
      ]);
    }
  });

  it.each([
    ['absent', {}],
    ['empty', { 'x-signature': '' }],
    ['blank', { 'x-signature': '   ' }],
    ['an empty array', { 'x-signature': [] }],
  ])('reports a missing signature when the header is %s', (_name, headers: HeaderBag) => {
    expect(verifySignature(hmacCfg(), headers, RAW)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it.each([
    ['too short', OPENSSL_VECTOR.slice(0, 62)],
    ['too long', `${OPENSSL_VECTOR}00`],
    ['non-hex at the end', `${OPENSSL_VECTOR.slice(0, 62)}zz`],
    ['non-hex at the start', `g${OPENSSL_VECTOR.slice(1)}`],
    ['an odd number of digits', OPENSSL_VECTOR.slice(0, 63)],
    ['another prefix', `sha512=${OPENSSL_VECTOR}`],
    ['base64 instead of hex', Buffer.from(OPENSSL_VECTOR, 'hex').toString('base64')],
    ['garbage', '\u0000\u00ff<script>'],
    ['a comma-joined pair', `${OPENSSL_VECTOR}, ${OPENSSL_VECTOR}`],
  ])('reports a malformed signature when it is %s', (_name, value) => {
    expect(verifySignature(hmacCfg(), { 'x-signature': value }, RAW)).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('treats an array-valued header as candidates, any of which may verify', () => {
    const wrong = hexHmac('someone-else', RAW);
    const cfg = hmacCfg();
    expect(verifySignature(cfg, { 'x-signature': [wrong, OPENSSL_VECTOR] }, RAW)).toEqual({
      ok: true,
    });
    expect(verifySignature(cfg, { 'x-signature': ['nonsense', OPENSSL_VECTOR] }, RAW)).toEqual({
      ok: true,
    });
    expect(verifySignature(cfg, { 'x-signature': [wrong] }, RAW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifySignature(cfg, { 'x-signature': ['nonsense', ''] }, RAW)).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('rejects everything when no secret is configured (default bank, WEBHOOK_SECRET unset)', () => {
    for (const secrets of [[], ['']]) {
      const cfg = hmacCfg({ secrets });
      const headers = { 'x-signature': hexHmac('', RAW) };
      expect(verifySignature(cfg, headers, RAW)).toEqual({ ok: false, reason: 'no_secret' });
      expect(verifySignature(cfg, {}, RAW)).toEqual({ ok: false, reason: 'no_secret' });
    }
  });

  it('skips secrets an untyped config got wrong, and verifies with the others', () => {
    const cfg = hmacCfg({ secrets: [42, null, SECRET] as unknown as string[] });
    expect(verifySignature(cfg, { 'x-signature': OPENSSL_VECTOR }, RAW)).toEqual({ ok: true });
    const none = hmacCfg({ secrets: undefined as unknown as string[] });
    expect(verifySignature(none, { 'x-signature': OPENSSL_VECTOR }, RAW)).toEqual({
      ok: false,
      reason: 'no_secret',
    });
  });

  it('verifies an empty body', () => {
    const empty = Buffer.alloc(0);
    const headers = { 'x-signature': hexHmac(SECRET, empty) };
    expect(verifySignature(hmacCfg(), headers, empty)).toEqual({ ok: true });
  });
});

describe('verifySignature: up', () => {
  const cfg: SignatureConfig = {
    scheme: 'up',
    secrets: ['up-secret-abcdef'],
    signatureHeader: 'x-signature',
    eventIdHeader: 'x-event-id',
  };
  const signature = hexHmac('up-secret-abcdef', RAW);

  it('verifies X-Up-Authenticity-Signature and ignores the configured hmac header', () => {
    expect(verifySignature(cfg, { 'x-up-authenticity-signature': signature }, RAW)).toEqual({
      ok: true,
    });
    expect(verifySignature(cfg, { 'x-signature': signature }, RAW)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('rejects a tampered body, a wrong secret and garbage', () => {
    const tampered = Buffer.from(`${BODY} `);
    const headers = { 'x-up-authenticity-signature': signature };
    expect(verifySignature(cfg, headers, tampered)).toEqual({ ok: false, reason: 'bad_signature' });
    const other = { 'x-up-authenticity-signature': hexHmac('not-the-secret', RAW) };
    expect(verifySignature(cfg, other, RAW)).toEqual({ ok: false, reason: 'bad_signature' });
    const junk = { 'x-up-authenticity-signature': 'abc' };
    expect(verifySignature(cfg, junk, RAW)).toEqual({ ok: false, reason: 'malformed_signature' });
  });

  it('rejects the valid signature with its last byte flipped, or any other one', () => {
    const valid = Buffer.from(signature, 'hex');
    for (const at of EVERY_BYTE) {
      const headers = { 'x-up-authenticity-signature': withByteFlipped(valid, at).toString('hex') };
      expect([at, verifySignature(cfg, headers, RAW)]).toEqual([
        at,
        { ok: false, reason: 'bad_signature' },
      ]);
    }
  });

  it('rejects everything without a secret', () => {
    const headers = { 'x-up-authenticity-signature': signature };
    expect(verifySignature({ ...cfg, secrets: [] }, headers, RAW)).toEqual({
      ok: false,
      reason: 'no_secret',
    });
  });
});

describe('verifySignature: standard-webhooks', () => {
  it('accepts a signature made by the standardwebhooks package', () => {
    expect(verifySignature(swCfg(), swHeaders(WHSEC), RAW, NOW_MS)).toEqual({ ok: true });
  });

  it('agrees with the package verifying our accepted delivery', () => {
    const headers = swHeaders(WHSEC, 'msg_interop', Math.floor(Date.now() / 1000));
    expect(verifySignature(swCfg(), headers, RAW)).toEqual({ ok: true });
    expect(() => new Webhook(WHSEC).verify(BODY, headers as Record<string, string>)).not.toThrow();
  });

  it('signs the exact body bytes, including non-ASCII text', () => {
    const body = '{"description":"Überweisung – café ₦"}';
    const headers = swHeaders(WHSEC, 'msg_utf8', NOW_S, body);
    expect(verifySignature(swCfg(), headers, Buffer.from(body), NOW_MS)).toEqual({ ok: true });
  });

  it('signs the id bytes as they came over the wire', () => {
    const id = 'msg_ü';
    const headers = swHeaders(WHSEC, id, NOW_S);
    // Node exposes header bytes as latin1 characters, one per byte.
    headers['webhook-id'] = Buffer.from(id, 'utf8').toString('latin1');
    expect(verifySignature(swCfg(), headers, RAW, NOW_MS)).toEqual({ ok: true });
  });

  it('accepts when any of several signatures in the header matches any secret', () => {
    const other = swHeaders(WHSEC_OLD)['webhook-signature'] as string;
    const mine = swHeaders(WHSEC)['webhook-signature'] as string;
    const headers = {
      ...swHeaders(WHSEC),
      'webhook-signature': `v1a,${Buffer.alloc(64).toString('base64')} ${other}  ${mine}`,
    };
    expect(verifySignature(swCfg(), headers, RAW, NOW_MS)).toEqual({ ok: true });
    expect(verifySignature(swCfg([WHSEC_OLD]), headers, RAW, NOW_MS)).toEqual({ ok: true });
  });

  it("accepts Svix's branded headers (svix-id, svix-timestamp, svix-signature)", () => {
    const sw = swHeaders(WHSEC, 'msg_svix');
    const svix: HeaderBag = {
      'svix-id': sw['webhook-id'],
      'svix-timestamp': sw['webhook-timestamp'],
      'svix-signature': sw['webhook-signature'],
    };
    expect(verifySignature(swCfg(), svix, RAW, NOW_MS)).toEqual({ ok: true });
    const stale = { ...svix, 'svix-timestamp': String(NOW_S - 301) };
    expect(verifySignature(swCfg(), stale, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    const forged = { ...svix, 'svix-id': 'msg_other' };
    expect(verifySignature(swCfg(), forged, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('does not mix the two header families: webhook-* present means webhook-* only', () => {
    const sw = swHeaders(WHSEC, 'msg_mixed');
    const mixed: HeaderBag = {
      'webhook-signature': sw['webhook-signature'],
      'svix-id': sw['webhook-id'],
      'svix-timestamp': sw['webhook-timestamp'],
    };
    expect(verifySignature(swCfg(), mixed, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
  });

  it('verifies with a secret given without whsec_ (plain base64, as svix reads it)', () => {
    const plain = WHSEC.slice('whsec_'.length);
    expect(verifySignature(swCfg([plain]), swHeaders(WHSEC), RAW, NOW_MS)).toEqual({ ok: true });
    expect(verifySignature(swCfg([WHSEC]), swHeaders(plain), RAW, NOW_MS)).toEqual({ ok: true });
  });

  it('takes each line of a header sent on several lines as signatures, in any order', () => {
    const mine = swHeaders(WHSEC)['webhook-signature'] as string;
    const other = swHeaders(WHSEC_OLD)['webhook-signature'] as string;
    for (const lines of [
      [mine, other],
      [other, mine],
    ]) {
      const headers = { ...swHeaders(WHSEC), 'webhook-signature': lines };
      expect(verifySignature(swCfg(), headers, RAW, NOW_MS)).toEqual({ ok: true });
    }
    const neither = { ...swHeaders(WHSEC), 'webhook-signature': [other, other] };
    expect(verifySignature(swCfg(), neither, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('accepts a delivery signed with the second of two secrets (rotation)', () => {
    const headers = swHeaders(WHSEC);
    expect(verifySignature(swCfg([WHSEC_OLD, WHSEC]), headers, RAW, NOW_MS)).toEqual({ ok: true });
    expect(verifySignature(swCfg([WHSEC_OLD]), headers, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('skips unusable secrets but uses the valid ones', () => {
    const cfg = swCfg(['not-a-whsec-secret', 'whsec_short', WHSEC]);
    expect(verifySignature(cfg, swHeaders(WHSEC), RAW, NOW_MS)).toEqual({ ok: true });
    const none = swCfg(['not-a-whsec-secret', 'whsec_!!!!']);
    expect(verifySignature(none, swHeaders(WHSEC), RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'no_secret',
    });
  });

  it('allows 300 s of skew either way and no more', () => {
    const cfg = swCfg();
    for (const offset of [-300, 300, 0]) {
      const headers = swHeaders(WHSEC, 'msg_edge', NOW_S + offset);
      expect(verifySignature(cfg, headers, RAW, NOW_MS)).toEqual({ ok: true });
    }
    for (const offset of [-301, 301, -86_400, 86_400]) {
      const headers = swHeaders(WHSEC, 'msg_edge', NOW_S + offset);
      expect(verifySignature(cfg, headers, RAW, NOW_MS)).toEqual({
        ok: false,
        reason: 'stale_timestamp',
      });
    }
  });

  it('uses the clock when no time is given', () => {
    const stale = swHeaders(WHSEC, 'msg_old', Math.floor(Date.now() / 1000) - 3600);
    expect(verifySignature(swCfg(), stale, RAW)).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('rejects a body tampered by one byte, and a swapped id or timestamp', () => {
    const tampered = Buffer.from(RAW);
    tampered[10] ^= 0x20;
    expect(verifySignature(swCfg(), swHeaders(WHSEC), tampered, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const swappedId = { ...swHeaders(WHSEC), 'webhook-id': 'msg_2' };
    expect(verifySignature(swCfg(), swappedId, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const swappedTs = { ...swHeaders(WHSEC), 'webhook-timestamp': String(NOW_S + 1) };
    expect(verifySignature(swCfg(), swappedTs, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects the valid signature with its last byte flipped, or any other one', () => {
    const headers = swHeaders(WHSEC);
    const valid = Buffer.from(
      (headers['webhook-signature'] as string).slice('v1,'.length),
      'base64',
    );
    expect(valid).toHaveLength(32);
    for (const at of EVERY_BYTE) {
      const forged = `v1,${withByteFlipped(valid, at).toString('base64')}`;
      const result = verifySignature(
        swCfg(),
        { ...headers, 'webhook-signature': forged },
        RAW,
        NOW_MS,
      );
      expect([at, result]).toEqual([at, { ok: false, reason: 'bad_signature' }]);
    }
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'reports a missing signature without %s, or with it empty',
    (name) => {
      const headers = swHeaders(WHSEC);
      for (const value of [undefined, '', []]) {
        headers[name] = value;
        expect([value, verifySignature(swCfg(), headers, RAW, NOW_MS)]).toEqual([
          value,
          { ok: false, reason: 'missing_signature' },
        ]);
      }
    },
  );

  it('takes a v1 entry only whole: nothing before it, nothing after it', () => {
    const headers = swHeaders(WHSEC);
    const valid = headers['webhook-signature'] as string;
    for (const entry of [`x${valid}`, `${valid}A`, `${valid}=`]) {
      const result = verifySignature(
        swCfg(),
        { ...headers, 'webhook-signature': entry },
        RAW,
        NOW_MS,
      );
      expect([entry, result]).toEqual([entry, { ok: false, reason: 'malformed_signature' }]);
    }
  });

  it.each([
    ['a non-numeric timestamp', { 'webhook-timestamp': 'yesterday' }],
    ['a timestamp in milliseconds-ish exponent form', { 'webhook-timestamp': '1.7e9' }],
    ['a negative timestamp', { 'webhook-timestamp': `-${NOW_S}` }],
    ['an unversioned signature', { 'webhook-signature': 'c2lnbmF0dXJl' }],
    ['only other versions', { 'webhook-signature': `v1a,${'A'.repeat(86)}==` }],
    ['a v1 entry that is not base64', { 'webhook-signature': `v1,${'!'.repeat(43)}=` }],
    ['a v1 entry of the wrong length', { 'webhook-signature': 'v1,c2lnbmF0dXJl' }],
    ['a hex v1 entry', { 'webhook-signature': `v1,${OPENSSL_VECTOR}` }],
    ['two different ids', { 'webhook-id': ['msg_1', 'msg_2'] }],
    ['garbage', { 'webhook-signature': '\u0000,,, v1, v1,=' }],
  ])('reports a malformed signature for %s', (_name, patch: HeaderBag) => {
    const headers = { ...swHeaders(WHSEC), ...patch };
    expect(verifySignature(swCfg(), headers, RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });

  it('reads array-valued headers', () => {
    const base = swHeaders(WHSEC);
    const other = swHeaders(WHSEC_OLD)['webhook-signature'] as string;
    const headers: HeaderBag = {
      'webhook-id': [base['webhook-id'] as string],
      'webhook-timestamp': [base['webhook-timestamp'] as string],
      'webhook-signature': [other, base['webhook-signature'] as string],
    };
    expect(verifySignature(swCfg(), headers, RAW, NOW_MS)).toEqual({ ok: true });
  });

  it('skips secrets an untyped config got wrong, and verifies with the others', () => {
    const cfg = swCfg([42, null, WHSEC] as unknown as string[]);
    expect(verifySignature(cfg, swHeaders(WHSEC), RAW, NOW_MS)).toEqual({ ok: true });
  });

  it('rejects everything without a secret', () => {
    expect(verifySignature(swCfg([]), swHeaders(WHSEC), RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'no_secret',
    });
  });

  it('sees a secret rotated into a new config', () => {
    const before = swCfg([WHSEC_OLD]);
    expect(verifySignature(before, swHeaders(WHSEC), RAW, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const after = { ...before, secrets: [...before.secrets, WHSEC] };
    expect(verifySignature(after, swHeaders(WHSEC), RAW, NOW_MS)).toEqual({ ok: true });
  });
});

describe('verifySignature key preparation', () => {
  it('keeps one secrets array usable under schemes that key differently', () => {
    const shared = [WHSEC];
    const plain = hmacCfg({ secrets: shared });
    const sw = swCfg(shared);
    const hexHeaders = { 'x-signature': hexHmac(WHSEC, RAW) };
    expect(verifySignature(plain, hexHeaders, RAW)).toEqual({ ok: true });
    expect(verifySignature(sw, swHeaders(WHSEC), RAW, NOW_MS)).toEqual({ ok: true });
    expect(verifySignature(plain, hexHeaders, RAW)).toEqual({ ok: true });
  });
});

describe('verifySignature on hostile input', () => {
  const hostile: HeaderBag[] = [
    { 'x-signature': 'x'.repeat(100_000) },
    { 'webhook-signature': 'v1,'.repeat(10_000), 'webhook-id': '', 'webhook-timestamp': 'NaN' },
    {
      'webhook-signature': ' '.repeat(1000),
      'webhook-id': 'a',
      'webhook-timestamp': '9'.repeat(400),
    },
    { 'x-signature': [undefined as unknown as string, 42 as unknown as string] },
    { 'webhook-id': ['a', 'a'], 'webhook-timestamp': [], 'webhook-signature': ['v1,==='] },
    { 'x-up-authenticity-signature': `sha256=${'é'.repeat(64)}` },
    // Well-formed id and time, so that the signature values themselves are read.
    {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(NOW_S),
      'webhook-signature': [42, undefined, null] as unknown as string[],
    },
  ];

  it.each(SIGNATURE_SCHEMES)('never throws and never accepts (%s)', (scheme) => {
    const cfg: SignatureConfig = {
      scheme,
      secrets: scheme === 'standard-webhooks' ? [WHSEC] : [SECRET],
      signatureHeader: 'x-signature',
      eventIdHeader: 'x-event-id',
    };
    for (const headers of hostile) {
      const result = verifySignature(cfg, headers, RAW, NOW_MS);
      expect(result.ok).toBe(false);
    }
  });
});

describe('headerEventId', () => {
  it('reads the configured header for hmac-sha256, case-insensitively', () => {
    expect(headerEventId(hmacCfg(), { 'x-event-id': 'evt_1' })).toBe('evt_1');
    const custom = hmacCfg({ eventIdHeader: 'X-Request-Id' });
    expect(headerEventId(custom, { 'x-request-id': 'evt_2', 'x-event-id': 'evt_1' })).toBe('evt_2');
    expect(headerEventId(custom, { 'x-event-id': 'evt_1' })).toBeUndefined();
  });

  it('falls back to X-Event-Id when no header name is configured', () => {
    expect(headerEventId(hmacCfg({ eventIdHeader: '' }), { 'x-event-id': 'evt_1' })).toBe('evt_1');
  });

  it('reads webhook-id for standard-webhooks', () => {
    const headers = { 'webhook-id': 'msg_1', 'x-event-id': 'evt_1' };
    expect(headerEventId(swCfg(), headers)).toBe('msg_1');
  });

  it("reads Svix's svix-id when no webhook-* header is sent, else webhook-id", () => {
    expect(headerEventId(swCfg(), { 'svix-id': 'msg_svix' })).toBe('msg_svix');
    const both = { 'svix-id': 'msg_svix', 'webhook-id': 'msg_1' };
    expect(headerEventId(swCfg(), both)).toBe('msg_1');
    // One family per delivery: a webhook-signature without webhook-id has no id, whatever svix-id says.
    const mixed = { 'svix-id': 'msg_svix', 'webhook-signature': 'v1,x' };
    expect(headerEventId(swCfg(), mixed)).toBeUndefined();
  });

  it('has none for up (the id is in the body)', () => {
    const cfg: SignatureConfig = { ...hmacCfg(), scheme: 'up' };
    expect(headerEventId(cfg, { 'x-event-id': 'evt_1', 'webhook-id': 'msg_1' })).toBeUndefined();
  });

  it.each([
    ['absent', {}, undefined],
    ['empty', { 'x-event-id': '' }, undefined],
    ['a one-element array', { 'x-event-id': ['evt_1'] }, 'evt_1'],
    ['a repeated identical value', { 'x-event-id': ['evt_1', 'evt_1'] }, 'evt_1'],
    ['two different values', { 'x-event-id': ['evt_1', 'evt_2'] }, undefined],
    ['an array of empty values', { 'x-event-id': ['', ''] }, undefined],
    ['an array of something else', { 'x-event-id': [42, 42] as unknown as string[] }, undefined],
    ['an empty array', { 'x-event-id': [] }, undefined],
  ])('answers for a header that is %s', (_name, headers: HeaderBag, expected) => {
    expect(headerEventId(hmacCfg(), headers)).toBe(expected);
  });
});

describe('validateSecret', () => {
  it.each([
    ['hmac-sha256', 'abcdefgh'],
    ['hmac-sha256', 's3cret-with-some-length'],
    ['up', 'up:yeah:abcdefghijklmnop'],
    ['standard-webhooks', WHSEC],
    ['standard-webhooks', `whsec_${Buffer.alloc(16, 7).toString('base64')}`],
    ['standard-webhooks', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    // Plain base64, as the svix package reads a secret without its prefix.
    ['standard-webhooks', Buffer.alloc(32).toString('base64')],
    ['standard-webhooks', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  ] as const)('accepts a %s secret %s', (scheme, secret) => {
    expect(validateSecret(scheme, secret)).toBeNull();
  });

  it.each([
    ['hmac-sha256', ''],
    ['hmac-sha256', 'short'],
    ['up', '1234567'],
    ['standard-webhooks', ''],
    ['standard-webhooks', 'whsec_'],
    ['standard-webhooks', `WHSEC_${Buffer.alloc(32).toString('base64')}`],
    ['standard-webhooks', `whsec_${Buffer.alloc(15, 1).toString('base64')}`],
    ['standard-webhooks', 'whsec_not base64 at all!!'],
    ['standard-webhooks', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS'],
    ['standard-webhooks', `whsec_${Buffer.alloc(32, 0xfb).toString('base64url')}`],
    ['standard-webhooks', Buffer.alloc(15, 1).toString('base64')],
    ['standard-webhooks', Buffer.alloc(32, 0xfb).toString('base64url')],
    ['standard-webhooks', 'not-a-whsec-secret'],
  ] as const)('refuses a %s secret %j', (scheme, secret) => {
    expect(validateSecret(scheme, secret)).toEqual(expect.any(String));
  });

  it('says what is wrong and what to send', () => {
    expect(validateSecret('hmac-sha256', 'short')).toBe('secret must be at least 8 characters');
    expect(validateSecret('up', 'short')).toBe('secret must be at least 8 characters');
    expect(validateSecret('standard-webhooks', 'whsec_')).toBe(
      "standard-webhooks secrets are padded base64 of at least 16 bytes, optionally prefixed with 'whsec_'",
    );
    expect(validateSecret('hmac-sha256', 42 as unknown as string)).toBe('secret must be a string');
    // Stored values with that prefix are read back as encrypted (SecretBox).
    expect(validateSecret('hmac-sha256', 'enc:v1:abcdefghijkl')).toBe(
      "secret must not start with 'enc:v1:'",
    );
    expect(validateSecret('sha1' as SignatureScheme, 'abcdefghijkl')).toBe(
      'unknown signature scheme',
    );
  });

  it('accepts only secrets the standardwebhooks package can use too', () => {
    for (const secret of [
      WHSEC,
      WHSEC_OLD,
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ]) {
      expect(validateSecret('standard-webhooks', secret)).toBeNull();
      expect(() => new Webhook(secret)).not.toThrow();
    }
  });
});
