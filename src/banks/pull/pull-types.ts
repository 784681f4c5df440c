import type { NormalizedTransaction } from '../../intake/normalized-transaction';

/** The bank API a pull reads: the `api` of a partner bank. */
export interface PullApi {
  kind: 'standard' | 'up';
  baseUrl: string;
  token: string;
}

/** One transaction of a pulled page, valid and normalized. */
export interface PulledTransaction {
  externalId: string;
  /** The object exactly as the bank sent it (kept as the raw event of a `source: pull` row). */
  raw: unknown;
  tx: NormalizedTransaction;
  /** Up: `HELD` or `SETTLED`; null for `standard` banks, which have no such notion. */
  bankStatus: string | null;
  /** Up's `attributes.rawText` (the last place an invoice number is looked for); else null. */
  rawText: string | null;
}

/** One page as fetched: its valid transactions, and the items that could not be used. */
export interface PulledPage {
  items: PulledTransaction[];
  invalid: Array<{ externalId: string | null; reason: string }>;
}

/** A page as the pull yields it: with the URL of the page after it (null at the end). */
export interface YieldedPage extends PulledPage {
  nextUrl: string | null;
}

export interface PullOptions {
  since: Date;
  /** Per request, including reading the body. Default 10000. */
  timeoutMs?: number;
  /**
   * Pages per pull. The pull stops after this many; the last page's `nextUrl` says where the
   * chain goes on (`resumeFrom` of the next pull). Default 1000.
   */
  maxPages?: number;
  /** Continue a chain at this page URL (a previous pull's last `nextUrl`) instead of its start. */
  resumeFrom?: string;
  /** Further attempts of one request after a retryable failure. Default 3. */
  retries?: number;
  /** First backoff delay; doubled on each retry, with jitter. Default 500. */
  backoffMs?: number;
  signal?: AbortSignal;
}

/** A page parsed from the bank's document, plus where the chain goes next. */
export interface ParsedPage extends PulledPage {
  /** `standard`: the next cursor; `up`: the absolute URL of the next page; null at the end. */
  next: string | null;
}
