import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { PROBLEM_CONTENT_TYPE, ProblemBody, ProblemException, statusTitle } from './problem';

/** Errors body-parser raises before any Nest handler runs, by their `type`. */
const BODY_PARSER_ERRORS: Record<string, { status: number; slug: string; detail: string }> = {
  'entity.too.large': {
    status: 413,
    slug: 'body-too-large',
    detail: 'The request body is larger than this service accepts (MAX_BODY_BYTES)',
  },
  'entity.parse.failed': {
    status: 400,
    slug: 'malformed-json',
    detail: 'The request body is not valid JSON',
  },
  'encoding.unsupported': {
    status: 415,
    slug: 'unsupported-encoding',
    detail: 'The request body encoding is not supported',
  },
  'charset.unsupported': {
    status: 415,
    slug: 'unsupported-charset',
    detail: 'The request body charset is not supported; send UTF-8',
  },
  'request.aborted': { status: 400, slug: 'request-aborted', detail: 'The request was aborted' },
  'request.size.invalid': {
    status: 400,
    slug: 'request-size-invalid',
    detail: 'The request body length does not match Content-Length',
  },
};

const DB_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '08000',
  '08001',
  '08003',
  '08006',
  // Transient, not unreachable, but answered the same way (503, retry): a deadlock victim or a
  // serialization failure stored nothing.
  '40P01',
  '40001',
]);

/** True when an error means PostgreSQL cannot be reached, not that the request was bad. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && DB_UNAVAILABLE_CODES.has(code)) return true;
  const driverError = (err as { driverError?: unknown }).driverError;
  if (driverError && driverError !== err && isDatabaseUnavailable(driverError)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/i.test(
    err.message,
  );
}

/**
 * The body-parser error type behind an error, if any. Nest's Express adapter wraps those
 * errors in an HttpException (keeping the original as `cause`), which would otherwise be
 * answered as a bare `about:blank` instead of the specific problem type.
 */
function bodyParserType(err: unknown): string | null {
  for (const e of [err, (err as { cause?: unknown } | null)?.cause]) {
    const type = (e as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) return type;
  }
  return null;
}

export function problemFor(err: unknown): { body: ProblemBody; log: boolean } {
  if (err instanceof ProblemException) return { body: err.toBody(), log: false };
  const type = bodyParserType(err);
  if (type !== null) {
    const known = BODY_PARSER_ERRORS[type];
    return {
      body: {
        type: `/problems/${known.slug}`,
        title: statusTitle(known.status),
        status: known.status,
        detail: known.detail,
        // The contract's 400s carry `errors`; a body that cannot be read is a fault of the whole.
        ...(known.status === 400 ? { errors: [{ field: '(body)', message: known.detail }] } : {}),
      },
      log: false,
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? response.message
        : err.message;
    const detail = Array.isArray(message) ? message.join('; ') : String(message);
    return {
      body: { type: 'about:blank', title: statusTitle(status), status, detail },
      log: status >= 500,
    };
  }
  if (err instanceof Error && err.message === 'Query read timeout') {
    // node-postgres gave up waiting (the intake's INTAKE_TIMEOUT_MS): the statement may still
    // commit, so this answer, unlike the one below, does not say that nothing was stored.
    return {
      body: {
        type: '/problems/database-timeout',
        title: statusTitle(503),
        status: 503,
        detail:
          'The database did not answer in time. Retry: a delivery that was stored after all ' +
          'is answered as a replay.',
      },
      log: true,
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      body: {
        type: '/problems/database-unavailable',
        title: statusTitle(503),
        status: 503,
        detail: 'The database is unavailable; nothing was stored. Retry later.',
      },
      log: true,
    };
  }
  const internal = err instanceof QueryFailedError ? 'a database error' : 'an unexpected error';
  return {
    body: {
      type: '/problems/internal-error',
      title: statusTitle(500),
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      detail: `The service hit ${internal}; quote the correlation id when reporting it`,
    },
    log: true,
  };
}

/** Writes a problem response; shared by the Nest filter and the Express error middleware. */
export function sendProblem(err: unknown, req: Request, res: Response, logger: Logger): void {
  const { body, log } = problemFor(err);
  const id = (req as Request & { id?: unknown }).id;
  const correlationId = typeof id === 'string' ? id : '';
  if (correlationId) body.correlation_id = correlationId;
  if (log) {
    logger.error(
      { err, correlation_id: correlationId, path: req.path },
      `${body.status} ${body.title}`,
    );
  }
  if (res.headersSent) return;
  if (body.status === 429 && err instanceof HttpException) {
    // The throttler's own exception, or a problem that says how long (`retry_after`).
    const retryAfter =
      (err.getResponse() as { retryAfter?: number } | null)?.retryAfter ?? body.retry_after;
    if (typeof retryAfter === 'number' && retryAfter > 0) {
      res.setHeader('Retry-After', String(retryAfter));
    }
  }
  res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** The one place every error becomes RFC 9457 problem+json; 5xx details are never shown. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendProblem(exception, ctx.getRequest<Request>(), ctx.getResponse<Response>(), this.logger);
  }
}
