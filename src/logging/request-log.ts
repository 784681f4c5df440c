import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Level, Logger } from 'pino';

// Only these request headers are logged: an allow-list cannot leak a bank's custom
// signature header or a staff key the way a deny-list can.
const LOGGED_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-event-id', 'webhook-id'];

function requestSummary(req: Request & { id?: string }): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_HEADERS) {
    if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  }
  return { id: req.id, method: req.method, url: req.originalUrl, headers };
}

/**
 * An accepted delivery is already recorded, byte for byte, in webhook_events; a log line per
 * delivery at thousands a second costs more than it tells (LOG_LEVEL=debug shows them).
 * Rejections and errors stay at info and above.
 */
type LoggedRequest = Request & { id?: string; startedAt?: number };

function requestLevel(url: string | undefined, status: number): Level {
  if (status >= 500) return 'error';
  if (status < 300 && url?.startsWith('/webhooks/')) return 'debug';
  return 'info';
}

/**
 * Gives every request a correlation id (`X-Correlation-Id`, quoted in 500 answers) and logs
 * one line when its answer is sent. Hand-written instead of pino-http: that builds a child
 * logger per request even when the line is not written, and nestjs-pino's per-request
 * AsyncLocalStorage turns on promise hooks for the whole process; together about a third of
 * the intake's CPU (bench/RESULTS.md). Nothing here allocates more than the id and one
 * listener unless the line is actually written.
 */
export function requestLog(logger: () => Logger) {
  // One listener function for every response (no closure per request); it finds its request
  // and start time through `res.req`.
  function finished(this: Response): void {
    const log = logger();
    const req = this.req as LoggedRequest;
    const level = requestLevel(req.originalUrl, this.statusCode);
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        req: requestSummary(req),
        // Not under `res`: pino-http's `res` serializer expects a live response and would log
        // statusCode null for a plain object.
        statusCode: this.statusCode,
        responseTime: Math.round(performance.now() - (req.startedAt ?? 0)),
      },
      this.statusCode >= 500 ? 'request errored' : 'request completed',
    );
  }
  return (req: LoggedRequest, res: Response, next: NextFunction): void => {
    const id = randomUUID();
    req.id = id;
    res.setHeader('X-Correlation-Id', id);
    req.startedAt = performance.now();
    res.once('finish', finished);
    next();
  };
}
