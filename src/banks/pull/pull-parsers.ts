import { normalizeSeedTransaction } from '../../intake/normalized-transaction';
import { BankApiError, normalizeUpTransaction } from '../up-client';
import type { ParsedPage, PulledPage } from './pull-types';

type Invalid = PulledPage['invalid'][number];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(url: string, why: string): BankApiError {
  // Not retryable: the bank answered 200 with this document, and would again.
  return new BankApiError(`malformed page from ${url}: ${why}`, false);
}

function idOf(value: unknown, key: string): string | null {
  if (!isRecord(value)) return null;
  const id = value[key];
  return typeof id === 'string' && id.length > 0 ? id : null;
}

/**
 * `standard`: `{ data: [seed-format objects], next_cursor: string | null }`. An item that does
 * not validate is reported in `invalid`, not thrown: one bad transaction must not hide the rest.
 */
export function parseStandardPage(doc: unknown, url: string): ParsedPage {
  if (!isRecord(doc)) throw malformed(url, 'not a JSON object');
  if (!Array.isArray(doc.data)) throw malformed(url, '"data" is not an array');
  const cursor = doc.next_cursor;
  // Required by the contract; a missing cursor is refused rather than read as "the end", which
  // would silently skip the rest of the bank's transactions.
  if (cursor !== null && (typeof cursor !== 'string' || cursor === '')) {
    throw malformed(url, '"next_cursor" must be a non-empty string or null');
  }
  const page: ParsedPage = { items: [], invalid: [], next: cursor };
  for (const raw of doc.data as unknown[]) {
    const result = normalizeSeedTransaction(raw);
    if (result.ok) {
      const { tx } = result;
      page.items.push({ externalId: tx.externalId, raw, tx, bankStatus: null, rawText: null });
    } else {
      const reason = result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      page.invalid.push({ externalId: idOf(raw, 'transaction_id'), reason });
    }
  }
  return page;
}

/**
 * `up`: Up's ListTransactionsResponse (v1/openapi.json): `{ data: [TransactionResource],
 * links: { prev, next } }`, where `links` and both links are required and `next` is an absolute
 * URL or null. A relative `next` is resolved against the page's URL; whether it may be followed
 * (inside base_url) is the caller's check.
 */
export function parseUpPage(doc: unknown, url: string): ParsedPage {
  if (!isRecord(doc)) throw malformed(url, 'not a JSON object');
  if (!Array.isArray(doc.data)) throw malformed(url, '"data" is not an array');
  if (!isRecord(doc.links)) throw malformed(url, '"links" is not an object');
  const link = doc.links.next;
  if (link !== null && (typeof link !== 'string' || link === '')) {
    throw malformed(url, '"links.next" must be a URL or null');
  }
  let next: string | null = null;
  if (link !== null) {
    try {
      next = new URL(link, url).toString();
    } catch {
      throw malformed(url, `"links.next" is not a URL: ${link}`);
    }
  }
  const page: ParsedPage = { items: [], invalid: [], next };
  for (const raw of doc.data as unknown[]) {
    const item = upItem(raw);
    if ('reason' in item) page.invalid.push(item);
    else page.items.push(item.ok);
  }
  return page;
}

function upItem(raw: unknown): { ok: PulledPage['items'][number] } | Invalid {
  const externalId = idOf(raw, 'id');
  // normalizeUpTransaction reads a missing status as SETTLED (lenient for webhook fetches); in a
  // bulk pull a HELD transaction taken for SETTLED would be matched too early, so it is refused.
  const attributes = isRecord(raw) ? raw.attributes : undefined;
  const status = isRecord(attributes) ? attributes.status : undefined;
  if (status !== 'HELD' && status !== 'SETTLED') {
    return { externalId, reason: 'attributes.status must be "HELD" or "SETTLED"' };
  }
  try {
    const up = normalizeUpTransaction(raw);
    return {
      ok: {
        externalId: up.externalId,
        raw,
        tx: {
          externalId: up.externalId,
          amount: up.amount,
          currency: up.currency,
          direction: up.direction,
          occurredAt: up.occurredAt,
          reference: up.message,
          description: up.description,
          counterparty: null,
          counterpartyAccount: null,
          foreignAmount: up.foreignAmount,
          foreignCurrency: up.foreignCurrency,
          settledAt: up.settledAt,
          holdAmount: up.holdAmount,
          holdCurrency: up.holdCurrency,
        },
        bankStatus: up.status,
        rawText: up.rawText,
      },
    };
  } catch (err) {
    if (!(err instanceof BankApiError)) throw err;
    return { externalId, reason: err.message };
  }
}
