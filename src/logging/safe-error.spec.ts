import { Logger as NestLogger } from '@nestjs/common';
import pino from 'pino';
import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { DatabaseLogger } from '../database/database-logger';
import { serializeError } from './safe-error';

const SECRET = 'acme-signing-secret-0001';

/** A database error as TypeORM raises it when a bank's secret could not be written. */
function failedInsert(): QueryFailedError {
  const driverError = Object.assign(new Error('new row violates check constraint "ck"'), {
    code: '23514',
    detail: `Failing row contains (acme, ${SECRET}).`,
  });
  return new QueryFailedError(
    'INSERT INTO "bank_secrets"("bank_id", "secret") VALUES ($1, $2)',
    ['acme', SECRET],
    driverError,
  );
}

describe('serializeError', () => {
  it('keeps what identifies a database error and drops its parameters and quoted rows', () => {
    const out = serializeError(failedInsert()) as Record<string, unknown>;
    expect(out).toMatchObject({ type: 'QueryFailedError', code: '23514' });
    expect(out.message).toMatch(/check constraint/);
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it('as pino serializes the err of a log line, no secret reaches the output', () => {
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        written += chunk.toString();
        done();
      },
    });
    const logger = pino({ serializers: { err: serializeError } }, sink);
    logger.error({ err: failedInsert() }, '500 Internal Server Error');
    expect(written).toContain('QueryFailedError');
    expect(written).not.toContain(SECRET);
    // Errors that are not objects pass through unchanged.
    expect(serializeError('plain')).toBe('plain');
  });
});

describe('DatabaseLogger', () => {
  it('logs a failed query with its SQL and error, never its parameters', () => {
    const warn = jest.spyOn(NestLogger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const err = failedInsert();
      new DatabaseLogger().logQueryError(err, err.query);
      expect(warn).toHaveBeenCalledTimes(1);
      const line = String(warn.mock.calls[0][0]);
      expect(line).toMatch(/query failed: new row violates check constraint .* INSERT INTO/);
      expect(line).not.toContain(SECRET);
    } finally {
      warn.mockRestore();
    }
  });
});
