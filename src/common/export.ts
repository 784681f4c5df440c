/**
 * Streamed exports (`?format=csv|jsonl`): PostgreSQL writes the rows with `COPY (SELECT …) TO
 * STDOUT` and they go to the client as they come, with backpressure, so memory stays flat
 * whatever the size. The CSV writer is PostgreSQL's own (RFC 4180 quoting: fields with a comma,
 * quote or line break are quoted, quotes doubled); `CsvLineEndings` turns its LF record ends
 * into RFC 4180's CRLF. Text that banks or people wrote is guarded against formula injection in
 * SQL (`bank_sync_csv_text`: a leading `'` before `= + - @ TAB CR`); amounts, ids and times are
 * written as they are.
 */
import { ApiPropertyOptional } from '@nestjs/swagger';
import { HttpStatus } from '@nestjs/common';
import { IsIn, IsOptional } from 'class-validator';
import type { Response } from 'express';
import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { ProblemException } from './problem';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** `format`, shared by every export endpoint (beside the list's own filters). */
export class ExportFormatQuery {
  @ApiPropertyOptional({
    enum: EXPORT_FORMATS,
    default: 'csv',
    description: 'csv (RFC 4180, a header row, CRLF) or jsonl (one JSON object a line)',
  })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format: ExportFormat = 'csv';
}

/**
 * One column of an export. `text`: free text someone wrote (formula-guarded in CSV); `json`: a
 * JSON value (its text in CSV); `bool`: `true`/`false` in CSV; otherwise written as it is (ids,
 * enums, amounts as decimal strings, times as ISO 8601 text).
 */
export interface ExportColumn {
  name: string;
  sql: string;
  kind?: 'text' | 'json' | 'bool';
}

const NAME = /^[a-z_][a-z0-9_]*$/;

/** The COPY statement of an export: `rest` is the query after the column list (FROM …). */
export function copyStatement(
  columns: readonly ExportColumn[],
  rest: string,
  format: ExportFormat,
): string {
  for (const c of columns) {
    if (!NAME.test(c.name)) throw new RangeError(`export column name ${c.name}`);
  }
  if (format === 'csv') {
    const list = columns.map((c) => `${csvCell(c)} AS ${c.name}`).join(', ');
    return `COPY (SELECT ${list} ${rest}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
  }
  // One JSON text per row. CSV mode with a quote and a delimiter that JSON text never holds
  // (control characters are escaped in it, and so are line breaks) writes each as it is; text
  // mode would double every backslash.
  const list = columns.map((c) => `${c.sql} AS ${c.name}`).join(', ');
  return (
    `COPY (SELECT to_json(r)::text FROM (SELECT ${list} ${rest}) r) ` +
    `TO STDOUT WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`
  );
}

function csvCell(c: ExportColumn): string {
  switch (c.kind) {
    case 'text':
      return `bank_sync_csv_text(${c.sql})`;
    case 'json':
      return `(${c.sql})::text`;
    case 'bool':
      return `CASE WHEN ${c.sql} THEN 'true' WHEN NOT ${c.sql} THEN 'false' END`;
    default:
      return c.sql;
  }
}

/**
 * A filter value as an SQL literal. COPY takes no bind parameters; every value reaching here
 * has passed the DTO's validation, and `escapeLiteral` (node-postgres) quotes whatever it holds.
 */
export function literal(value: string): string {
  return escapeLiteral(value);
}

const LF = 0x0a;
const QUOTE = 0x22;
const CRLF = Buffer.from('\r\n');

/**
 * Turns the LF that ends each record of PostgreSQL's CSV into CRLF (RFC 4180), leaving line
 * breaks inside quoted fields as they are. A field is inside quotes after an odd number of `"`
 * (doubled quotes count twice), a state carried across chunks.
 */
export class CsvLineEndings extends Transform {
  private quoted = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const parts: Buffer[] = [];
    let start = 0;
    let i = 0;
    while (i < chunk.length) {
      if (this.quoted) {
        const q = chunk.indexOf(QUOTE, i);
        if (q < 0) break;
        this.quoted = false;
        i = q + 1;
        continue;
      }
      const lf = chunk.indexOf(LF, i);
      const q = chunk.indexOf(QUOTE, i);
      if (q >= 0 && (lf < 0 || q < lf)) {
        this.quoted = true;
        i = q + 1;
        continue;
      }
      if (lf < 0) break;
      // Outside quotes an LF always ends a record: a field holding CR or LF is quoted.
      parts.push(chunk.subarray(start, lf), CRLF);
      start = i = lf + 1;
    }
    if (parts.length === 0) {
      done(null, chunk);
      return;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
    done(null, Buffer.concat(parts));
  }
}

/** What a file is called: `matches-20261202T101500Z.csv`. */
export function exportFileName(base: string, format: ExportFormat, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${base}-${stamp}.${format}`;
}

/** Exports running at once on this instance: each holds a pool connection while it streams. */
const MAX_CONCURRENT_EXPORTS = 4;
let running = 0;

/**
 * Streams `COPY … TO STDOUT` to the response. Errors before the first byte reach the problem
 * filter; after it the connection is cut (a truncated file must not look complete). A client
 * that goes away stops the COPY: its connection is discarded, never returned mid-COPY.
 */
export async function streamExport(
  dataSource: DataSource,
  res: Response,
  spec: { sql: string; format: ExportFormat; fileName: string },
): Promise<void> {
  if (running >= MAX_CONCURRENT_EXPORTS) {
    throw new ProblemException(
      HttpStatus.TOO_MANY_REQUESTS,
      'export-busy',
      `${MAX_CONCURRENT_EXPORTS} exports are running on this instance; try again shortly`,
      { retry_after: 5 },
    );
  }
  running++;
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  let client: PoolClient | null = null;
  let clean = false;
  try {
    client = await pool.connect();
    // One snapshot for the whole file, and no statement timeout: a large export may stream for
    // longer than the 30 s other statements get.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query('SET LOCAL statement_timeout = 0');
    const source = client.query(copyTo(spec.sql));
    res.status(200);
    res.setHeader('Content-Type', CONTENT_TYPES[spec.format]);
    res.setHeader('Content-Disposition', `attachment; filename="${spec.fileName}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (spec.format === 'csv') await pipeline(source, new CsvLineEndings(), res);
    else await pipeline(source, res);
    await client.query('COMMIT');
    clean = true;
  } catch (err) {
    if (res.headersSent) {
      res.destroy(err as Error);
      return;
    }
    throw err;
  } finally {
    running--;
    client?.release(clean ? undefined : true);
  }
}
