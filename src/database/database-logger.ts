import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

const MAX_SQL = 500;

function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SQL ? `${flat.slice(0, MAX_SQL)}…` : flat;
}

/**
 * TypeORM's logger, through the service's own log (pino, LOG_LEVEL) instead of the console.
 * A failed query is logged with its SQL and error, never its parameters: secrets travel as
 * parameters when banks and subscriptions are written, and TypeORM's own loggers print them.
 */
export class DatabaseLogger implements Logger {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {
    // Not enabled (`logging: ['error']`); a query log would be a parameter log.
  }

  logQueryError(error: string | Error, query: string): void {
    const message = typeof error === 'string' ? error : error.message;
    this.logger.warn(`query failed: ${message} -- ${oneLine(query)}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`slow query (${time} ms) -- ${oneLine(query)}`);
  }

  // Schema builds, migrations and info: silent, as with TypeORM's `logging: ['error']`.
  logSchemaBuild(): void {}

  logMigration(): void {}

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
