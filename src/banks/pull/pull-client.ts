import { BankApiError, isWithinBaseUrl } from '../up-client';
import { getPageJson, type PageRequestOptions } from './pull-http';
import { parseStandardPage, parseUpPage } from './pull-parsers';
import type { ParsedPage, PullApi, PullOptions, YieldedPage } from './pull-types';

export type {
  PullApi,
  PulledPage,
  PulledTransaction,
  PullOptions,
  YieldedPage,
} from './pull-types';

const DEFAULTS = { timeoutMs: 10_000, maxPages: 1000, retries: 3, backoffMs: 500 } as const;
/** Up's largest page size; fewer round trips for the same transactions. */
const UP_PAGE_SIZE = '100';

/**
 * Pulls a bank's transactions since `opts.since`, one page at a time, for the scheduled fallback
 * run. Each page is yielded as soon as it is fetched: the caller commits it and advances its
 * cursor before asking for the next, so memory stays bounded and a failure later in the chain
 * loses nothing already yielded. Every failure is a BankApiError; `retryable` tells the caller
 * whether the next run may fare better.
 *
 * Never requests a URL outside `api.baseUrl`: a `links.next` elsewhere ends the pull with an
 * error naming it, before it is requested.
 */
export async function* pullTransactions(
  api: PullApi,
  opts: PullOptions,
): AsyncGenerator<YieldedPage> {
  const request = requestOptions(opts);
  const maxPages = wholeNumber(opts.maxPages, DEFAULTS.maxPages, 1, 'maxPages');
  if (!(opts.since instanceof Date) || Number.isNaN(opts.since.getTime())) {
    throw new BankApiError('pull needs a valid `since` date', false);
  }
  const since = opts.since.toISOString();
  const parse = pageParser(api.kind);
  // Repeated URLs would loop until maxPages; a bank answering the same "next" twice is a bug to
  // report at once, not 1000 requests later.
  const requested = new Set<string>();
  let url: string | null = opts.resumeFrom ?? firstUrl(api, since);
  // At maxPages the pull ends; the last page's nextUrl is where the next one resumes.
  for (let fetched = 0; url !== null && fetched < maxPages; fetched++) {
    if (!isWithinBaseUrl(url, api.baseUrl)) {
      throw new BankApiError(`refusing ${url}: outside the bank's base_url ${api.baseUrl}`, false);
    }
    if (requested.has(url)) {
      throw new BankApiError(`bank API sent the same page link twice: ${url}`, false);
    }
    requested.add(url);
    const page = parse(await getPageJson(url, api, request), url);
    const following: string | null = page.next === null ? null : nextUrl(api, page.next, url);
    yield { items: page.items, invalid: page.invalid, nextUrl: following };
    url = following;
  }
}

function pageParser(kind: unknown): (doc: unknown, url: string) => ParsedPage {
  // `kind` comes from stored configuration; a value this code does not know is refused loudly.
  if (kind === 'standard') return parseStandardPage;
  if (kind === 'up') return parseUpPage;
  throw new BankApiError(`unknown bank API kind ${JSON.stringify(kind)}`, false);
}

/** `{base_url}/transactions`, keeping any path (and query) the base URL already has. */
function transactionsUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new BankApiError(`bank API base_url is not a URL: ${baseUrl}`, false);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/transactions`;
  return url;
}

function firstUrl(api: PullApi, since: string): string {
  const url = transactionsUrl(api.baseUrl);
  if (api.kind === 'up') {
    url.searchParams.set('filter[since]', since);
    url.searchParams.set('page[size]', UP_PAGE_SIZE);
  } else {
    url.searchParams.set('since', since);
  }
  return url.toString();
}

function nextUrl(api: PullApi, next: string, current: string): string {
  // Up's `links.next` is already an absolute URL (checked against base_url by the loop).
  if (api.kind === 'up') return next;
  // A `standard` cursor is opaque: it only ever travels as an encoded query value, on the URL
  // of the current page (a resumed chain keeps the `since` it began with).
  const url = new URL(current);
  url.searchParams.set('cursor', next);
  return url.toString();
}

function requestOptions(opts: PullOptions): PageRequestOptions {
  return {
    timeoutMs: wholeNumber(opts.timeoutMs, DEFAULTS.timeoutMs, 1, 'timeoutMs'),
    retries: wholeNumber(opts.retries, DEFAULTS.retries, 0, 'retries'),
    backoffMs: wholeNumber(opts.backoffMs, DEFAULTS.backoffMs, 0, 'backoffMs'),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

function wholeNumber(
  value: number | undefined,
  fallback: number,
  min: number,
  name: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
  return value;
}
