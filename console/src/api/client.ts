import createClient, { type Middleware } from 'openapi-fetch';
import { readProblem, unreachable, type ProblemView } from '../problem';
import type { components, paths } from './schema';

/** The API's answer shapes, generated from the OpenAPI document (npm run console:api). */
export type Schemas = components['schemas'];

const KEY = 'bank-sync.api-key';

/**
 * The staff key lives in this tab's sessionStorage only: never in a URL, a cookie or
 * localStorage (closing the tab forgets it).
 */
export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  keep: (key: string): void => sessionStorage.setItem(KEY, key),
  forget: (): void => sessionStorage.removeItem(KEY),
};

const bearer: Middleware = {
  onRequest({ request }) {
    const key = session.key();
    if (key) request.headers.set('Authorization', `Bearer ${key}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: location.origin });
api.use(bearer);

/** An API refusal, read for a person (problem.ts). */
export class ApiProblem extends Error {
  constructor(readonly problem: ProblemView) {
    super(problem.detail);
  }
}

let onUnauthenticated: () => void = () => undefined;
/** Called when the key stops being accepted (revoked while the tab was open). */
export const whenUnauthenticated = (fn: () => void): void => {
  onUnauthenticated = fn;
};

/**
 * Awaits an openapi-fetch call and answers its data, or throws an ApiProblem that says what went
 * wrong (problem+json read, correlation id from the body or the X-Correlation-Id header).
 */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (err) {
    throw new ApiProblem(unreachable(err));
  }
  const { data, error, response } = result;
  if (!response.ok) {
    if (response.status === 401) onUnauthenticated();
    throw new ApiProblem(
      readProblem(response.status, error, response.headers.get('x-correlation-id')),
    );
  }
  return data as T;
}
