import { BankApiError, isWithinBaseUrl } from '../up-client';

export interface PageRequestOptions {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  signal?: AbortSignal;
}

/** A page of 100 Up transactions is a few hundred KB; anything near this is not a page. */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;
/** A bank may ask for a long pause; the hourly run cannot wait on it, so it is capped. */
export const MAX_RETRY_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

type Attempt = { ok: true; json: unknown } | { ok: false; error: BankApiError; waitMs?: number };

/**
 * GETs one page as JSON: bearer token, no redirects, a timeout per attempt, and retries with
 * exponential backoff on what may pass (network errors, timeouts, 5xx, 429). Anything else, and
 * a body that is not JSON, fails at once: asking again would get the same answer.
 */
export async function getPageJson(
  url: string,
  api: { baseUrl: string; token: string },
  opts: PageRequestOptions,
): Promise<unknown> {
  // Checked here as well as by the caller: this is the one place a request leaves the service.
  if (!isWithinBaseUrl(url, api.baseUrl)) {
    throw new BankApiError(`refusing ${url}: outside the bank's base_url ${api.baseUrl}`, false);
  }
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(opts.signal);
    const outcome = await attemptOnce(url, api.token, opts);
    if (outcome.ok) return outcome.json;
    const { error } = outcome;
    if (!error.retryable || opts.signal?.aborted) throw error;
    if (attempt >= opts.retries) {
      throw new BankApiError(`${error.message} (gave up after ${attempt + 1} attempts)`, true);
    }
    await sleep(outcome.waitMs ?? backoffDelay(attempt, opts.backoffMs), opts.signal);
  }
}

async function attemptOnce(url: string, token: string, opts: PageRequestOptions): Promise<Attempt> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      redirect: 'error',
      signal,
    });
  } catch (err) {
    return { ok: false, error: transportError(err, url, opts) };
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const retryable = res.status >= 500 || res.status === 429;
    const error = new BankApiError(`bank API answered ${res.status} for ${url}`, retryable);
    const waitMs = retryable ? retryAfterMs(res.headers.get('retry-after')) : null;
    return { ok: false, error, ...(waitMs === null ? {} : { waitMs }) };
  }
  let body: string;
  try {
    body = await readBounded(res, url);
  } catch (err) {
    if (err instanceof BankApiError) return { ok: false, error: err };
    return { ok: false, error: transportError(err, url, opts) };
  }
  try {
    return { ok: true, json: JSON.parse(body) as unknown };
  } catch {
    return { ok: false, error: new BankApiError(`malformed page from ${url}: not JSON`, false) };
  }
}

function transportError(err: unknown, url: string, opts: PageRequestOptions): BankApiError {
  if (opts.signal?.aborted) return abortedError(opts.signal);
  const { name, message, cause } = describe(err);
  if (name === 'TimeoutError') {
    return new BankApiError(`bank API timed out after ${opts.timeoutMs} ms for ${url}`, true);
  }
  // A redirect is refused by design (it could lead outside base_url); retrying cannot change it.
  if (/redirect/i.test(cause)) {
    return new BankApiError(
      `bank API answered a redirect for ${url}; redirects are refused`,
      false,
    );
  }
  const why = cause ? `${message} (${cause})` : message;
  return new BankApiError(`bank API unreachable for ${url}: ${why}`, true);
}

/**
 * Reads an error by shape, not `instanceof`: fetch's errors may come from another realm (a test
 * sandbox), where `instanceof Error` is false.
 */
function describe(err: unknown): { name: string; message: string; cause: string } {
  const field = (value: unknown, key: string): string => {
    if (typeof value !== 'object' || value === null) return '';
    const v: unknown = (value as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : '';
  };
  const cause: unknown =
    typeof err === 'object' && err !== null ? (err as { cause?: unknown }).cause : undefined;
  return {
    name: field(err, 'name'),
    message: field(err, 'message') || String(err),
    cause: field(cause, 'message'),
  };
}

/** Reads the body as UTF-8, stopping at MAX_PAGE_BYTES so one bad answer cannot exhaust memory. */
async function readBounded(res: Response, url: string): Promise<string> {
  const tooLarge = new BankApiError(
    `page from ${url} is larger than ${MAX_PAGE_BYTES} bytes`,
    false,
  );
  if (Number(res.headers.get('content-length')) > MAX_PAGE_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge;
  }
  if (!res.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_PAGE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge;
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BankApiError(`malformed page from ${url}: not UTF-8`, false);
  }
}

/**
 * Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), capped; null when absent or
 * unreadable, so the usual backoff applies.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-3" as a year.
  const at = /^[a-z]{3}/i.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so instances
 * pulling the same bank spread out but never retry at once.
 */
export function backoffDelay(attempt: number, backoffMs: number, random = Math.random): number {
  const exp = Math.min(backoffMs * 2 ** attempt, MAX_BACKOFF_MS);
  return exp / 2 + random() * (exp / 2);
}

function abortedError(signal: AbortSignal): BankApiError {
  const why = describe(signal.reason).message;
  // Retryable: the pull was stopped by its caller, not refused by the bank.
  return new BankApiError(`pull aborted: ${why}`, true);
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
