/**
 * What a person is shown when the API says no: the problem+json answer (RFC 9457) read into a
 * title, a sentence, the fields at fault and the correlation id to quote to whoever runs the
 * service. Pure: unit-tested beside it.
 */
export interface ProblemView {
  status: number;
  title: string;
  detail: string;
  fields: Array<{ field: string; message: string }>;
  correlationId: string | null;
  /** What the person can do about it, where the status says. */
  hint: string | null;
}

const HINTS: Record<number, string> = {
  401: 'The key was not accepted (revoked, or mistyped): sign in again with a valid key.',
  403: 'Your key’s role may not do this; ask an admin for an operator key.',
  404: 'It may have been removed, or the link is wrong.',
  409: 'Someone or something changed it in the meantime: reload and look again.',
  413: 'That is more than the service accepts.',
  429: 'Too many requests: wait a moment and try again.',
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);

export function readProblem(
  status: number,
  body: unknown,
  correlationHeader: string | null = null,
): ProblemView {
  const b = isRecord(body) ? body : {};
  const fields = Array.isArray(b.errors)
    ? b.errors.filter(isRecord).map((e) => ({
        field: text(e.field) ?? '',
        message: text(e.message) ?? '',
      }))
    : [];
  const server = status >= 500;
  return {
    status,
    title: text(b.title) ?? (server ? 'The service is unwell' : `Request refused (${status})`),
    detail:
      text(b.detail) ??
      (server
        ? 'The service could not answer. Nothing was changed; try again in a moment.'
        : typeof body === 'string' && body.trim()
          ? body.trim().slice(0, 300)
          : 'The service gave no reason.'),
    fields,
    correlationId: text(b.correlation_id) ?? text(correlationHeader),
    hint: HINTS[status] ?? (server ? 'If it keeps happening, quote the correlation id.' : null),
  };
}

/** A network failure (no answer at all) in the same shape. */
export function unreachable(err: unknown): ProblemView {
  return {
    status: 0,
    title: 'The service did not answer',
    detail: err instanceof Error ? err.message : 'The request did not reach the service.',
    fields: [],
    correlationId: null,
    hint: 'Check that the service is running and reachable, then try again.',
  };
}
