import type { NextFunction, Request } from 'express';

/** A request whose body bytes are kept for the signature guard. */
export type BodyRequest = Request & { rawBody?: Buffer };

/** An error shaped like body-parser's, so the problem filter answers it the same way. */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}

const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8']);

/** The Content-Type every bank sends, recognized without parsing the header. */
export function isPlainJson(type: string | undefined): boolean {
  return type !== undefined && PLAIN_JSON.has(type.toLowerCase());
}

/**
 * Whether a request takes the intake's fast body path: a webhook POST with the plain JSON
 * content type and no content or transfer encoding. Everything else is left to body-parser
 * (gzip, other charsets, 415s), so the answers do not change, only their cost.
 */
export function isPlainWebhookBody(req: BodyRequest): boolean {
  return (
    req.method === 'POST' &&
    req.url.startsWith('/webhooks/') &&
    isPlainJson(req.headers['content-type']) &&
    req.headers['content-encoding'] === undefined &&
    req.headers['transfer-encoding'] === undefined
  );
}

/**
 * Reads a webhook delivery's body on the intake's fast path (`isPlainWebhookBody`): the raw
 * bytes (signatures are computed over them, and they are stored as received) and one
 * `JSON.parse`, where body-parser decodes through iconv and a stream of listeners per request
 * (~13 % of the intake's CPU, bench/RESULTS.md). Errors have body-parser's `type`s: 413 over
 * `limit`, 400 for a length mismatch or bad JSON.
 */
export function readWebhookBody(req: BodyRequest, limit: number, next: NextFunction): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    next(bodyError(413, 'entity.too.large', 'request entity too large'));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let failed = false;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit && !failed) {
      failed = true;
      next(bodyError(413, 'entity.too.large', 'request entity too large'));
    }
    if (!failed) chunks.push(chunk);
  });
  req.on('error', (err) => {
    if (failed) return;
    failed = true;
    next(Object.assign(err, { status: 400, type: 'request.aborted' }));
  });
  req.on('end', () => {
    if (failed) return;
    if (size !== declared) {
      next(bodyError(400, 'request.size.invalid', 'request size did not match content length'));
      return;
    }
    const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
    req.rawBody = raw;
    if (size === 0) {
      req.body = {};
      next();
      return;
    }
    const text = raw.toString('utf8');
    // Like body-parser's `strict`: only an object or an array at the top.
    const first = text.trimStart()[0];
    try {
      if (first !== '{' && first !== '[') throw new SyntaxError('not a JSON object or array');
      req.body = JSON.parse(text) as unknown;
    } catch (err) {
      next(bodyError(400, 'entity.parse.failed', (err as Error).message));
      return;
    }
    next();
  });
}
