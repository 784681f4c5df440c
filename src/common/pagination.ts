import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ProblemException } from './problem';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** `limit` and `cursor`, shared by every list endpoint. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
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
      !Number.isNaN(Date.parse((parsed as CursorPosition).at))
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
