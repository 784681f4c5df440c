import { applyDecorators } from '@nestjs/common';
import { ApiProduces, ApiResponse } from '@nestjs/swagger';

/** The OpenAPI of an export route: a file in either format, with its name. */
export function ApiExport(what: string, csvExample: string, jsonlExample: string) {
  return applyDecorators(
    ApiProduces('text/csv', 'application/x-ndjson'),
    ApiResponse({
      status: 200,
      description:
        `${what}, streamed. CSV: RFC 4180 with a header row and CRLF line ends; a text cell ` +
        "beginning with `=`, `+`, `-`, `@`, TAB or CR is written with a leading `'` (amounts " +
        'stay plain decimals). JSONL: one JSON object a line, the fields of the CSV header.',
      headers: {
        'Content-Disposition': {
          description: 'attachment, with the file name (`name-YYYYMMDDTHHMMSSZ.csv|jsonl`)',
          schema: { type: 'string' },
        },
      },
      content: {
        'text/csv': { schema: { type: 'string' }, example: csvExample },
        'application/x-ndjson': { schema: { type: 'string' }, example: jsonlExample },
      },
    }),
    ApiResponse({
      status: 429,
      description: 'Too many exports are running on this instance; see Retry-After',
      headers: { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } },
    }),
  );
}
