import { stdSerializers } from 'pino';

/**
 * What a database error carries that may hold a secret: TypeORM's `QueryFailedError` keeps the
 * query's parameters (a bank's secret or API token is a parameter when it is written), and
 * PostgreSQL's `detail` can quote the failing row ("Failing row contains (…)").
 */
const UNSAFE_KEYS = ['parameters', 'query', 'driverError', 'detail', 'where', 'internalQuery'];

/**
 * pino's `err` serializer for every log line: the standard one (type, message, stack, code and
 * other own fields), without the fields above. pino-http hands it the already-serialized error.
 */
export function serializeError(err: unknown): unknown {
  const out = err instanceof Error ? stdSerializers.err(err) : err;
  if (typeof out !== 'object' || out === null) return out;
  const safe: Record<string, unknown> = { ...(out as Record<string, unknown>) };
  for (const key of UNSAFE_KEYS) delete safe[key];
  return safe;
}
