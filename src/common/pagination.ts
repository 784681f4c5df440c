import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ProblemException } from './problem';
import { parseDateTime } from './timestamps';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** `limit` and `cursor`, shared by every list endpoint. */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;

  @ApiPropertyOptional({ description: "The previous page's next_cursor" })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

/** Keyset position: opaque to clients, base64url of JSON. */
export interface CursorPosition {
  at: string;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      typeof (parsed as CursorPosition).at === 'string' &&
      typeof (parsed as CursorPosition).id === 'string' &&
      // Exactly as issued (toISOString): Date.parse takes "1" or February 30, which PostgreSQL
      // then refuses with a 500.
      parseDateTime((parsed as CursorPosition).at)?.toISOString() === (parsed as CursorPosition).at
    ) {
      return parsed as CursorPosition;
    }
  } catch {
    // fall through to the problem below
  }
  throw new ProblemException(400, 'invalid-cursor', 'cursor is not a value this service issued', {
    errors: [{ field: 'cursor', message: 'not a cursor issued by this service' }],
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path or cursor id that can be a row id; anything else is "not found", never a cast error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A cursor whose id is a uuid (the SQL casts it; a forged one must be a 400, not a 500). */
export function decodeUuidCursor(cursor: string | undefined): CursorPosition | null {
  if (!cursor) return null;
  const position = decodeCursor(cursor);
  if (!isUuid(position.id)) {
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
