/**
 * Display helpers. Money arrives as decimal strings and is shown as such, grouped for reading:
 * never through a JavaScript number, which would round.
 */
export function money(amount: string | null | undefined, currency?: string | null): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(amount);
  const shown = m ? `${m[1]}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] ?? ''}` : amount;
  return currency ? `${shown} ${currency}` : shown;
}

/** A UTC instant as `2026-02-27 12:00:00 UTC` (staff across time zones compare the same text). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** How long from one instant to the next, as a person says it (`350 ms`, `4.2 s`, `3 h 5 min`). */
export function elapsed(fromIso: string | null, toIso: string | null): string | null {
  if (!fromIso || !toIso) return null;
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return null;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/** `invoice_already_paid` → `invoice already paid`. */
export const label = (code: string): string => code.replace(/_/g, ' ');

/** A score in 0..1 as a percentage with no false precision. */
export const percent = (score: number): string => `${Math.round(score * 100)} %`;
