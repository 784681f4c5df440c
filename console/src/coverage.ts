/**
 * The banks screen's coverage window and how a day of it reads. Pure, so that the dates (UTC
 * booking days, as `GET /banks/{id}/coverage` counts them) and the wording are unit-tested.
 */

/** Days of coverage the banks screen shows, today (UTC) included. */
export const COVERAGE_DAYS = 14;

const DAY_MS = 86_400_000;

/** `from`/`to` (YYYY-MM-DD, both included) of the last `days` UTC days ending on `now`'s. */
export function lastDays(now: Date, days = COVERAGE_DAYS): { from: string; to: string } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: iso(today - (days - 1) * DAY_MS), to: iso(today) };
}

/** `1 missed webhook`, `3 missed webhooks`. */
export const missed = (n: number): string => `${n} missed webhook${n === 1 ? '' : 's'}`;

/** One line over the window: how many entries only a statement had, on how many days. */
export function coverageSummary(
  days: Array<{ only_in_statement: number }>,
  window = COVERAGE_DAYS,
): string {
  const hit = days.filter((d) => d.only_in_statement > 0);
  if (hit.length === 0) return `No missed webhooks in the last ${window} days.`;
  const total = hit.reduce((n, d) => n + d.only_in_statement, 0);
  return `${missed(total)} on ${hit.length} day${hit.length === 1 ? '' : 's'} in the last ${window} days.`;
}

/** A statement's balance check as words: the file's balances agree, do not, or are not given. */
export function balanceCheck(
  check: 'ok' | 'mismatch' | null,
  gap: { expected_opening: string } | null,
): string {
  const own =
    check === 'ok'
      ? 'balances add up'
      : check === 'mismatch'
        ? 'mismatch: opening + entries ≠ closing'
        : 'no balances stated';
  return gap ? `${own}; gap before: previous closing was ${gap.expected_opening}` : own;
}

/** `2026-03-01 – 2026-03-31`, one day alone, or `—` when the file states no period. */
export function period(start: string | null, end: string | null): string {
  if (!start && !end) return '—';
  if (start === end || !end) return start ?? '—';
  return `${start ?? '…'} – ${end}`;
}
