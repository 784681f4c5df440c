import { KeyObject, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { isSealed, SEALED_PREFIX } from '../../common/secret-box';

/**
 * Webhook signature schemes of partner banks. Pure (node:crypto only) so that it is unit-tested
 * and benchmarked without Nest, and shared by intake and bank administration.
 *
 * Runs on every delivery: nothing here throws on hostile input, every comparison is of decoded
 * bytes in constant time, and regexes are compiled once at module load.
 */

export type SignatureScheme = 'hmac-sha256' | 'standard-webhooks' | 'up';

export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = Object.freeze([
  'hmac-sha256',
  'standard-webhooks',
  'up',
] as const);

export const DEFAULT_SIGNATURE_HEADER = 'x-signature';
export const DEFAULT_EVENT_ID_HEADER = 'x-event-id';

export interface SignatureConfig {
  scheme: SignatureScheme;
  /** Active secrets; a delivery is accepted if any of them verifies it (rotation). */
  secrets: readonly string[];
  /** hmac-sha256 only; the other schemes use fixed headers. */
  signatureHeader: string;
  /** hmac-sha256 only; the other schemes use fixed headers or the body. */
  eventIdHeader: string;
}

/** Node's IncomingHttpHeaders: keys are already lower-case. */
export type HeaderBag = Record<string, string | string[] | undefined>;

export type VerifyFailure =
  'missing_signature' | 'bad_signature' | 'stale_timestamp' | 'no_secret' | 'malformed_signature';

export type VerifyResult = { ok: true } | { ok: false; reason: VerifyFailure };

/** The spec's header names, and Svix's branded names for the same three (the `svix` package). */
interface StandardHeaderNames {
  readonly id: string;
  readonly timestamp: string;
  readonly signature: string;
}
const SW_HEADERS: StandardHeaderNames = Object.freeze({
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
});
const SVIX_HEADERS: StandardHeaderNames = Object.freeze({
  id: 'svix-id',
  timestamp: 'svix-timestamp',
  signature: 'svix-signature',
});
/** Every header name a standard-webhooks delivery may carry (kept with the raw event). */
export const STANDARD_WEBHOOKS_HEADERS: readonly string[] = Object.freeze(
  [SW_HEADERS, SVIX_HEADERS].flatMap((h) => [h.id, h.timestamp, h.signature]),
);
const SW_SECRET_PREFIX = 'whsec_';
const SW_TOLERANCE_SECONDS = 300;
const SW_MIN_KEY_BYTES = 16;
const UP_SIGNATURE_HEADER = 'x-up-authenticity-signature';
const MIN_PLAIN_SECRET_LENGTH = 8;

const SHA256_BYTES = 32;
const HEX_DIGEST_LENGTH = SHA256_BYTES * 2;
const HEX_PREFIX = 'sha256=';

// Exactly what `standardwebhooks` emits (padded standard base64 of 32 bytes), so that a
// url-safe or unpadded variant is reported as malformed instead of silently decoding.
const V1_SIGNATURE = /^v1,[A-Za-z0-9+/]{43}=$/;
// Padded base64 only: Buffer's decoder skips stray characters, so a mistyped or truncated secret
// would otherwise become a different key without a word.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Unix seconds; 1..12 digits keeps the value an exact integer and rejects '1e9', '0x1', ' 1'.
const UNIX_SECONDS = /^[0-9]{1,12}$/;

const OK: VerifyResult = Object.freeze({ ok: true });
const failures: { readonly [R in VerifyFailure]: VerifyResult } = Object.freeze({
  missing_signature: Object.freeze({ ok: false, reason: 'missing_signature' }),
  bad_signature: Object.freeze({ ok: false, reason: 'bad_signature' }),
  stale_timestamp: Object.freeze({ ok: false, reason: 'stale_timestamp' }),
  no_secret: Object.freeze({ ok: false, reason: 'no_secret' }),
  malformed_signature: Object.freeze({ ok: false, reason: 'malformed_signature' }),
});

export function verifySignature(
  cfg: SignatureConfig,
  headers: HeaderBag,
  rawBody: Buffer,
  nowMs: number = Date.now(),
): VerifyResult {
  switch (cfg.scheme) {
    case 'hmac-sha256':
      return verifyHexHmac(keysFor('plain', cfg.secrets), headers[signatureHeaderOf(cfg)], rawBody);
    case 'up':
      return verifyHexHmac(keysFor('plain', cfg.secrets), headers[UP_SIGNATURE_HEADER], rawBody);
    case 'standard-webhooks':
      return verifyStandardWebhooks(keysFor('whsec', cfg.secrets), headers, rawBody, nowMs);
    default:
      // Unreachable for typed callers; a config from an untyped source fails closed.
      return failures.bad_signature;
  }
}

/**
 * The delivery's event id as the scheme carries it in headers; undefined for `up` (its id is the
 * body's data.id) and when the header is absent, empty or ambiguous (several different values).
 */
export function headerEventId(cfg: SignatureConfig, headers: HeaderBag): string | undefined {
  switch (cfg.scheme) {
    case 'hmac-sha256':
      return singleValue(headers[eventIdHeaderOf(cfg)]);
    case 'standard-webhooks':
      return singleValue(headers[standardHeaderNames(headers).id]);
    default:
      return undefined;
  }
}

/** null when the secret is usable with the scheme, else a message for the API client. */
export function validateSecret(scheme: SignatureScheme, secret: string): string | null {
  if (typeof secret !== 'string') return 'secret must be a string';
  // Stored values with this prefix are read as encrypted (SecretBox).
  if (isSealed(secret)) return `secret must not start with '${SEALED_PREFIX}'`;
  switch (scheme) {
    case 'standard-webhooks':
      return decodeWhsec(secret) === null
        ? `standard-webhooks secrets are padded base64 of at least ${SW_MIN_KEY_BYTES} bytes, ` +
            `optionally prefixed with '${SW_SECRET_PREFIX}'`
        : null;
    case 'hmac-sha256':
    case 'up':
      return secret.length < MIN_PLAIN_SECRET_LENGTH
        ? `secret must be at least ${MIN_PLAIN_SECRET_LENGTH} characters`
        : null;
    default:
      return 'unknown signature scheme';
  }
}

function signatureHeaderOf(cfg: SignatureConfig): string {
  return (cfg.signatureHeader || DEFAULT_SIGNATURE_HEADER).toLowerCase();
}

function eventIdHeaderOf(cfg: SignatureConfig): string {
  return (cfg.eventIdHeader || DEFAULT_EVENT_ID_HEADER).toLowerCase();
}

/**
 * A header that must carry one value. Node joins most repeated headers itself; an array reaches
 * us only from other adapters, and two different values there are ambiguous, not a choice.
 */
function singleValue(value: string | string[] | undefined): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const first: unknown = value[0];
  if (typeof first !== 'string' || first === '') return undefined;
  for (let i = 1; i < value.length; i++) if (value[i] !== first) return undefined;
  return first;
}

function verifyHexHmac(
  keys: readonly KeyObject[],
  header: string | string[] | undefined,
  rawBody: Buffer,
): VerifyResult {
  if (keys.length === 0) return failures.no_secret;
  // An array-valued header is a list of candidate signatures, as in standard-webhooks.
  if (typeof header === 'string') {
    const given = parseHexDigest(header);
    if (given === undefined) return failures.missing_signature;
    if (given === null) return failures.malformed_signature;
    for (const key of keys) {
      if (timingSafeEqual(createHmac('sha256', key).update(rawBody).digest(), given)) return OK;
    }
    return failures.bad_signature;
  }
  if (!Array.isArray(header)) return failures.missing_signature;
  const candidates: Buffer[] = [];
  let sawValue = false;
  for (const value of header) {
    const given = parseHexDigest(value);
    if (given === undefined) continue;
    sawValue = true;
    if (given !== null) candidates.push(given);
  }
  if (!sawValue) return failures.missing_signature;
  if (candidates.length === 0) return failures.malformed_signature;
  return anyMatches(keys, candidates, (key) => createHmac('sha256', key).update(rawBody).digest());
}

/** undefined: no value at all; null: a value that cannot be a hex SHA-256 digest. */
function parseHexDigest(value: unknown): Buffer | null | undefined {
  if (typeof value !== 'string') return undefined;
  let hex = value.trim();
  if (hex === '') return undefined;
  if (hex.length === HEX_DIGEST_LENGTH + HEX_PREFIX.length) {
    if (hex.slice(0, HEX_PREFIX.length).toLowerCase() !== HEX_PREFIX) return null;
    hex = hex.slice(HEX_PREFIX.length);
  } else if (hex.length !== HEX_DIGEST_LENGTH) {
    return null;
  }
  // Buffer stops decoding at the first non-hex pair, so a full-length result proves every
  // character was hex without a regex pass over attacker input.
  const bytes = Buffer.from(hex, 'hex');
  return bytes.length === SHA256_BYTES ? bytes : null;
}

function verifyStandardWebhooks(
  keys: readonly KeyObject[],
  headers: HeaderBag,
  rawBody: Buffer,
  nowMs: number,
): VerifyResult {
  if (keys.length === 0) return failures.no_secret;

  const names = standardHeaderNames(headers);
  const signatureHeader = headers[names.signature];
  const rawId = headers[names.id];
  const rawTimestamp = headers[names.timestamp];
  if (!isPresent(signatureHeader) || !isPresent(rawId) || !isPresent(rawTimestamp)) {
    return failures.missing_signature;
  }
  const id = singleValue(rawId);
  const timestamp = singleValue(rawTimestamp);
  if (id === undefined || timestamp === undefined || !UNIX_SECONDS.test(timestamp)) {
    return failures.malformed_signature;
  }
  // Whole seconds on both sides, as the reference library compares them.
  const skew = Math.floor(nowMs / 1000) - Number(timestamp);
  if (!(Math.abs(skew) <= SW_TOLERANCE_SECONDS)) return failures.stale_timestamp;

  const candidates: Buffer[] = [];
  if (typeof signatureHeader === 'string') {
    collectV1Signatures(signatureHeader, candidates);
  } else {
    for (const value of signatureHeader) {
      if (typeof value === 'string') collectV1Signatures(value, candidates);
    }
  }
  if (candidates.length === 0) return failures.malformed_signature;

  // Node hands header values over as latin1 (one char per byte): re-encoding them as latin1
  // recovers the exact bytes the sender signed, even for a non-ASCII id.
  const prefix = Buffer.from(`${id}.${timestamp}.`, 'latin1');
  return anyMatches(keys, candidates, (key) =>
    createHmac('sha256', key).update(prefix).update(rawBody).digest(),
  );
}

/**
 * One family per delivery, never a mix: the spec's `webhook-*` names when any of them is sent,
 * else Svix's `svix-*` names. A sender of both (the `svix` package's own server does) signs the
 * same values under both, so preferring one loses nothing.
 */
function standardHeaderNames(headers: HeaderBag): StandardHeaderNames {
  return isPresent(headers[SW_HEADERS.signature]) ||
    isPresent(headers[SW_HEADERS.id]) ||
    isPresent(headers[SW_HEADERS.timestamp])
    ? SW_HEADERS
    : SVIX_HEADERS;
}

function isPresent(value: string | string[] | undefined): value is string | string[] {
  if (typeof value === 'string') return value !== '';
  return Array.isArray(value) && value.length > 0;
}

function collectV1Signatures(value: string, into: Buffer[]): void {
  // Other versions (v1a: asymmetric) are skipped, as the spec asks of verifiers.
  for (const entry of value.split(' ')) {
    if (V1_SIGNATURE.test(entry)) into.push(Buffer.from(entry.slice(3), 'base64'));
  }
}

/** Each secret's digest is computed once, then compared with every candidate. */
function anyMatches(
  keys: readonly KeyObject[],
  candidates: readonly Buffer[],
  digest: (key: KeyObject) => Buffer,
): VerifyResult {
  for (const key of keys) {
    const expected = digest(key);
    for (const given of candidates) {
      if (timingSafeEqual(expected, given)) return OK;
    }
  }
  return failures.bad_signature;
}

/** plain: the secret's UTF-8 bytes are the key; whsec: its base64 (after an optional 'whsec_'). */
type KeyKind = 'plain' | 'whsec';

interface PreparedKeys {
  readonly kind: KeyKind;
  readonly keys: readonly KeyObject[];
}

const NO_KEYS: readonly KeyObject[] = Object.freeze([]);

// Keys per secrets array: a bank's config lives across many deliveries, so decoding and key
// import are paid once (a KeyObject also signs ~15% faster than a string key), and the entry
// goes when the config does. Configs are treated as immutable: rotation builds a new array.
const keyCache = new WeakMap<readonly string[], PreparedKeys>();

function keysFor(kind: KeyKind, secrets: readonly string[]): readonly KeyObject[] {
  if (!Array.isArray(secrets)) return NO_KEYS;
  const cached = keyCache.get(secrets);
  if (cached !== undefined && cached.kind === kind) return cached.keys;
  const keys: KeyObject[] = [];
  for (const secret of secrets as readonly string[]) {
    // Unusable secrets (which validateSecret refuses) are skipped so the others still verify.
    // An empty key would make signatures forgeable by anyone, so a blank WEBHOOK_SECRET is unset.
    const bytes = kind === 'whsec' ? decodeWhsec(secret) : plainKeyBytes(secret);
    if (bytes !== null) keys.push(createSecretKey(bytes));
  }
  keyCache.set(secrets, { kind, keys });
  return keys;
}

function plainKeyBytes(secret: string): Buffer | null {
  return typeof secret === 'string' && secret !== '' ? Buffer.from(secret, 'utf8') : null;
}

/** As the `svix` and `standardwebhooks` packages read a secret: 'whsec_' is optional. */
function decodeWhsec(secret: string): Buffer | null {
  if (typeof secret !== 'string') return null;
  const encoded = secret.startsWith(SW_SECRET_PREFIX)
    ? secret.slice(SW_SECRET_PREFIX.length)
    : secret;
  if (!BASE64.test(encoded)) return null;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= SW_MIN_KEY_BYTES ? key : null;
}
