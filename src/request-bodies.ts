import { json, type NextFunction, type RequestHandler, type Response, urlencoded } from 'express';
import { type BodyRequest, isPlainWebhookBody, readWebhookBody } from './webhooks/webhook-body';

/** Keeps the bytes body-parser read, as Nest's `rawBody: true` does (the signature guard's). */
function keepRawBody(req: BodyRequest, _res: Response, bytes: Buffer): void {
  req.rawBody = bytes;
}

/**
 * Every request's body, and the Swagger UI, in one Express layer (Nest's own body parsers are
 * off: `bodyParser: false`). Each layer Express walks costs every request a matching step, and
 * a webhook delivery used to pass four (the intake's reader, body-parser's JSON and form
 * parsers, the /docs prefix check) before its route: now a plain JSON delivery goes from here
 * to its route, and everything else gets what it got before, in the same order: body-parser's
 * JSON (limit `limit`), then urlencoded (`extended`, as Nest registers it), or the docs, or
 * the staff console's files (`pages`).
 */
export function requestBodies(
  limit: number,
  docs: RequestHandler,
  pages?: RequestHandler,
): RequestHandler {
  const jsonParser = json({ limit, verify: keepRawBody });
  const formParser = urlencoded({ extended: true, verify: keepRawBody });
  return (req: BodyRequest, res: Response, next: NextFunction): void => {
    if (isPlainWebhookBody(req)) {
      readWebhookBody(req, limit, next);
    } else if (req.url.startsWith('/docs')) {
      docs(req, res, next);
    } else if (pages && req.url.startsWith('/console')) {
      pages(req, res, next);
    } else {
      jsonParser(req, res, (err?: unknown) => {
        if (err) next(err);
        else formParser(req, res, next);
      });
    }
  };
}
