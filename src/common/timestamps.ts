import { validationProblem } from './problem';

// RFC 3339 date-time with an explicit offset: a timestamp without a zone is ambiguous.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/i;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS[month - 1];
}

/** An instant PostgreSQL can store and print as ISO 8601: years 0001–9999 in UTC. */
export function storableInstant(at: Date): boolean {
  const year = at.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

/**
 * An RFC 3339 date-time with a zone (`2026-02-27T12:00:00Z`, `…+01:00`), or null. Every field
 * must be in range (`Date.parse` rolls 2026-02-30 over to March 2), and the instant must be a
 * year PostgreSQL can store and print as ISO 8601: 0001–9999 in UTC. Year 0, or a time that the
 * offset moves past 9999, would otherwise reach the database and fail the statement.
 */
export function parseDateTime(value: string): Date | null {
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return null;
  const at = new Date(value);
  return storableInstant(at) ? at : null;
}

/**
 * A from/to query filter as a Date. `IsISO8601` takes forms `new Date` cannot read
 * (`2026-01-01T10`, week dates), which would reach PostgreSQL as an invalid date and answer 500.
 */
export function queryInstant(field: string, value: string): Date {
  const at = new Date(value);
  if (!storableInstant(at)) {
    throw validationProblem([
      {
        field,
        message: `${field} must be an ISO 8601 date or date-time, e.g. 2026-02-27T12:00:00Z`,
      },
    ]);
  }
  return at;
}
