import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Level, Logger } from 'pino';

// Only these request headers are logged: an allow-list cannot leak a bank's custom
// signature header or a staff key the way a deny-list can.
const LOGGED_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-event-id', 'webhook-id'];

type LoggedRequest = IncomingMessage & { id?: string; startedAt?: number; originalUrl?: string };

/** What Node publishes on its `http.server.*` diagnostics channels. */
interface HttpServerMessage {
  request: LoggedRequest;
  response: ServerResponse;
  server: Server;
}

function requestSummary(req: LoggedRequest): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_HEADERS) {
    if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  }
  return { id: req.id, method: req.method, url: req.originalUrl ?? req.url, headers };
}

/**
 * An accepted delivery is already recorded, byte for byte, in webhook_events; a log line per
 * delivery at thousands a second costs more than it tells (LOG_LEVEL=debug shows them).
 * Rejections and errors stay at info and above.
 */
function requestLevel(url: string | undefined, status: number): Level {
  if (status >= 500) return 'error';
  if (status < 300 && url?.startsWith('/webhooks/')) return 'debug';
  return 'info';
}

/**
 * Gives every request of `server` a correlation id (`X-Correlation-Id`, quoted in 500 answers)
 * and logs one line when its answer is sent, until the server's `close`. Every answer to a
 * webhook route, whoever wrote it (body reader, rate limit, guard, filter, handler), is handed
 * to `webhookAnswered` (the load gauge and the webhook metrics).
 *
 * It listens on Node's `http.server.request.start` and `http.server.response.finish`
 * diagnostics channels: one subscriber for all requests, so no middleware layer and no
 * per-response `finish` listener on the intake's hot path (bench/RESULTS.md). The channels are
 * process-wide, so messages of other servers in the process (the e2e tests run several apps)
 * are ignored. Hand-written instead of pino-http: that builds a child logger per request even
 * when the line is not written, and nestjs-pino's per-request AsyncLocalStorage turns on
 * promise hooks for the whole process; together about a third of the intake's CPU.
 */
export function attachRequestLog(
  server: Server,
  logger: () => Logger,
  webhookAnswered: (req: IncomingMessage, status: number, ms: number) => void = () => undefined,
): void {
  const started = (message: unknown): void => {
    const { request, response, server: from } = message as HttpServerMessage;
    if (from !== server) return;
    const id = randomUUID();
    request.id = id;
    request.startedAt = performance.now();
    response.setHeader('X-Correlation-Id', id);
  };
  const finished = (message: unknown): void => {
    const { request: req, response: res, server: from } = message as HttpServerMessage;
    if (from !== server) return;
    const url = req.originalUrl ?? req.url;
    if (url?.startsWith('/webhooks/')) {
      webhookAnswered(req, res.statusCode, performance.now() - (req.startedAt ?? 0));
    }
    const log = logger();
    const level = requestLevel(url, res.statusCode);
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        req: requestSummary(req),
        // Not under `res`: pino-http's `res` serializer expects a live response and would log
        // statusCode null for a plain object.
        statusCode: res.statusCode,
        responseTime: Math.round(performance.now() - (req.startedAt ?? 0)),
      },
      res.statusCode >= 500 ? 'request errored' : 'request completed',
    );
  };
  subscribe('http.server.request.start', started);
  subscribe('http.server.response.finish', finished);
  server.once('close', () => {
    unsubscribe('http.server.request.start', started);
    unsubscribe('http.server.response.finish', finished);
  });
}
