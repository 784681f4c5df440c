import { statusTitle, type ProblemBody, type ProblemField } from './problem';

/**
 * The example problem+json body the document shows for one route's error answer: the `type`,
 * title and detail that the service really sends there (see problem.filter.ts, the guards and
 * services that throw), and the correlation id every problem carries. An e2e test compares them
 * with real answers.
 */
export function problemExample(status: number, method: string, path: string): ProblemBody {
  const { slug, detail, errors, ...extras } = exampleOf(status, method, path);
  return {
    type: slug === null ? 'about:blank' : `/problems/${slug}`,
    title: statusTitle(status),
    status,
    detail,
    ...(errors ? { errors } : {}),
    ...extras,
    correlation_id: '3f6c1a52-8d0e-4b7a-9c21-5e4d7b9a0f18',
  };
}

interface Example {
  /** `/problems/<slug>`; null for Nest's own HTTP errors (`about:blank`). */
  slug: string | null;
  detail: string;
  errors?: ProblemField[];
  [extension: string]: unknown;
}

const UUID = '0b7e5b2c-6f0a-4d51-9a43-2c8e1f6d7a90';

/** What a 404 names, by the route's first segments (notFound(what, id) in the services). */
const NOT_FOUND: Array<[prefix: string, what: string]> = [
  ['/banks', 'bank acme'],
  ['/transactions', `transaction ${UUID}`],
  ['/invoices', `Invoice ${UUID}`],
  ['/reconcile/runs', `Reconciliation run ${UUID}`],
  ['/reconcile/matches', `Allocation ${UUID}`],
  ['/api-keys', `API key ${UUID}`],
  ['/subscriptions', `subscription ${UUID}`],
];

/** 409s differ by route: each names its own conflict. */
const CONFLICTS: Record<string, Example> = {
  'post /banks': { slug: 'bank-exists', detail: 'bank acme exists' },
  'post /invoices': {
    slug: 'invoice-number-taken',
    detail:
      `Invoice number inv 001 is taken (by INV-001, id ${UUID}); ` +
      'numbers are compared ignoring case and separators',
    existing_invoice_id: UUID,
  },
  'post /invoices/{id}/cancel': {
    slug: 'invoice-has-allocations',
    detail: 'The invoice is partially_paid; reverse its allocations before cancelling it',
  },
  'post /transactions/{id}/retry': {
    slug: 'not-failed',
    detail: `transaction ${UUID} is PROCESSED; only FAILED transactions can be retried`,
  },
  'post /reconcile/run': {
    slug: 'run-in-progress',
    detail: `Reconciliation run ${UUID} is in progress`,
    running_run_id: UUID,
  },
  'post /reconcile/matches': {
    slug: 'invoice-already-paid',
    detail: 'Invoice INV-001 is already paid',
  },
  'delete /reconcile/matches/{id}': {
    slug: 'already-reversed',
    detail: `Allocation ${UUID} is already reversed`,
  },
  'post /reconcile/suggestions/{id}/accept': {
    slug: 'suggestion-stale',
    detail:
      'The money moved since this suggestion was made; GET the suggestions again for the ' +
      'current ones',
  },
  'post /subscriptions/{id}/deliveries/{deliveryId}/retry': {
    slug: 'not-dead',
    detail: 'Only dead-lettered deliveries can be retried',
  },
};

function exampleOf(status: number, method: string, path: string): Example {
  const webhook = path.startsWith('/webhooks/');
  switch (status) {
    case 400:
      return webhook
        ? {
            slug: 'validation-error',
            detail: 'The request is not valid; see errors',
            errors: [{ field: 'amount', message: 'amount must be greater than 0' }],
          }
        : {
            slug: 'validation-error',
            detail: 'The request is not valid; see errors',
            errors: [{ field: 'limit', message: 'limit must not be greater than 500' }],
          };
    case 401:
      return webhook
        ? {
            slug: 'invalid-signature',
            detail: "The delivery's signature could not be verified (bad signature)",
          }
        : { slug: 'unauthenticated', detail: 'The API key is not valid or has been revoked' };
    case 403:
      return { slug: 'forbidden', detail: 'This action needs the admin role; the key has viewer' };
    case 404: {
      if (webhook) return { slug: 'unknown-bank', detail: 'no partner bank "acme"' };
      const what = NOT_FOUND.find(([prefix]) => path.startsWith(prefix))?.[1];
      return { slug: 'not-found', detail: `${what ?? `resource ${UUID}`} does not exist` };
    }
    case 409:
      return (
        CONFLICTS[`${method} ${path}`] ??
        (webhook
          ? {
              slug: 'event-id-conflict',
              detail: 'Event evt_001 was already received with a different body',
            }
          : { slug: 'conflict', detail: 'The request conflicts with the current state' })
      );
    case 413:
      return {
        slug: 'body-too-large',
        detail: 'The request body is larger than this service accepts (MAX_BODY_BYTES)',
      };
    case 415:
      return {
        slug: 'unsupported-media-type',
        detail: 'Webhook bodies must be sent as Content-Type: application/json',
      };
    case 429:
      return {
        slug: 'rate-limited',
        detail: 'More than 50 deliveries for this bank in 1000 ms; retry after 1 s',
        retry_after: 1,
      };
    case 503:
      return {
        slug: 'database-unavailable',
        detail: 'The database is unavailable; nothing was stored. Retry later.',
      };
    default:
      return { slug: null, detail: statusTitle(status) };
  }
}
