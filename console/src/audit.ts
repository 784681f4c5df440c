/**
 * The audit trail of a page is read from several `GET /audit` streams (the invoice's own entries
 * and each allocation's; a transaction is no audit entity, so only its allocations'), each in the
 * order written and paged by its own cursor. These pure helpers merge them for one list and say
 * an entry's data in words.
 */
import { money } from './format';
import type { components } from './api/schema';

/** `Schemas['AuditEntryDto']` (from the schema itself: this module is DOM-free, unit-tested). */
export type AuditEntry = components['schemas']['AuditEntryDto'];

/** One stream: the rows fetched so far, and the cursor of its next page (null: no more). */
export interface AuditStream {
  rows: AuditEntry[];
  cursor: string | null;
}

const order = (a: AuditEntry, b: AuditEntry): number =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : (a.seq ?? Infinity) - (b.seq ?? Infinity);

/**
 * Oldest first, as the API lists. An entry is shown only once no stream that has more pages could
 * still hold an older one: past the last row of any stream that is not at its end, entries wait
 * for "Load more", so the list never shows a gap that a later page would fill in.
 */
export function mergeTrail(streams: AuditStream[]): { shown: AuditEntry[]; more: boolean } {
  let frontier: string | null = null;
  for (const s of streams) {
    if (!s.cursor) continue;
    const last = s.rows[s.rows.length - 1]?.at;
    if (last !== undefined && (frontier === null || last < frontier)) frontier = last;
  }
  const seen = new Set<string>();
  const shown = streams
    .flatMap((s) => s.rows)
    .filter((e) => (frontier === null || e.at <= frontier) && !seen.has(e.id) && seen.add(e.id))
    .sort(order);
  return { shown, more: streams.some((s) => s.cursor !== null) };
}

/**
 * `{ amount: '10.00', currency: 'EUR', rule: 'suggestion', note: null }` →
 * `['amount 10.00 EUR', 'rule suggestion']`: amounts (`amount`, `amount_due`, …) carry the
 * currency, empty fields are left out.
 */
export function describeData(data: Record<string, unknown>): string[] {
  const currency = typeof data.currency === 'string' ? data.currency : undefined;
  const isAmount = (key: string, value: unknown): value is string =>
    typeof value === 'string' && /(^|_)amount(_|$)/.test(key);
  const shownWithAmount = Object.entries(data).some(([k, v]) => isAmount(k, v));
  const out: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined || value === '') continue;
    if (key === 'currency' && currency && shownWithAmount) continue;
    const name = key.replace(/_/g, ' ');
    if (isAmount(key, value)) out.push(`${name} ${money(value, currency)}`);
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      out.push(`${name} ${String(value)}`);
    else out.push(`${name} ${JSON.stringify(value)}`);
  }
  return out;
}
