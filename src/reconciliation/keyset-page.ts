import { decodeCursor, encodeCursor, type CursorPosition, type Page } from '../common/pagination';
import { ProblemException } from '../common/problem';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor whose id is a uuid (the SQL casts it; a forged one must be a 400, not a 500). */
export function decodeUuidCursor(cursor: string | undefined): CursorPosition | null {
  if (!cursor) return null;
  const position = decodeCursor(cursor);
  if (!UUID.test(position.id)) {
    throw new ProblemException(400, 'invalid-cursor', 'cursor is not a value this service issued', {
      errors: [{ field: 'cursor', message: 'not a cursor issued by this service' }],
    });
  }
  return position;
}

/** The page of `limit` rows out of `limit + 1` fetched, with the next cursor if any. */
export function keysetPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  position: (row: R) => { at: Date; id: string },
): Page<T> {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  const next = rows.length > limit && last ? position(last) : null;
  return {
    data: kept.map(map),
    next_cursor: next ? encodeCursor({ at: next.at.toISOString(), id: next.id }) : null,
  };
}
