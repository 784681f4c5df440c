/**
 * Limit (a'): the framework's own ceiling. A minimal NestJS application on the same adapter as
 * the service (express, `rawBody: true`, its JSON parser), one route doing the same HMAC check
 * and JSON answer, no database, no logging, no guards or interceptors of the app.
 */
import 'reflect-metadata';
import {
  BadRequestException,
  type CallHandler,
  type CanActivate,
  Controller,
  type ExecutionContext,
  HttpCode,
  Injectable,
  Module,
  type NestInterceptor,
  Post,
  Req,
  UnauthorizedException,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';

const secret = process.env.WEBHOOK_SECRET ?? '';
// (a''): the same route behind one pass-through guard and one pass-through interceptor, to price
// what Nest itself does for any route that has them (the service's webhook routes must).
// NEST_MINIMAL_PIPELINE: 'guard', 'interceptor' or '1' (both).
const PIPELINE = process.env.NEST_MINIMAL_PIPELINE ?? '';
// (c) with BENCH_DATABASE_URL: each delivery is also committed before its answer, by the
// service's own group committer, as one webhook_events and one transactions row in the bench_pg
// tables of limit (b) (same indexes as the service's). Nothing else: no validation, no outbox,
// no logging: the least a durable route with this pipeline can do.
const DATABASE_URL = process.env.BENCH_DATABASE_URL;

interface Row {
  eventId: string;
  raw: Buffer;
  body: Record<string, unknown>;
}

const DURABLE_SQL = `
WITH input AS (
  SELECT i.*, substring($2::bytea FROM i.body_at + 1 FOR i.body_length) AS body
    FROM json_to_recordset($1::json)
      AS i(event_id text, body_at int, body_length int, headers jsonb, external_id text,
           amount numeric, currency text, direction text, occurred_at timestamptz,
           reference text, description text, counterparty text)
), ev AS (
  INSERT INTO bench_pg.webhook_events (bank_id, event_id, event_type, body, body_sha256, headers,
                                       external_transaction_id)
  SELECT 'default', event_id, NULL, body, sha256(body), headers, external_id FROM input
  ON CONFLICT (bank_id, event_id) DO NOTHING
  RETURNING event_id
)
INSERT INTO bench_pg.transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                                   reference, description, counterparty, source,
                                   unallocated_amount)
SELECT 'default', i.external_id, i.amount, i.currency, i.direction, i.occurred_at, i.reference,
       i.description, i.counterparty, 'webhook', i.amount
  FROM input i JOIN ev ON ev.event_id = i.event_id
ON CONFLICT (bank_id, external_id) DO NOTHING`;

type Committer = { submit(row: Row): Promise<true> };

async function durableCommitter(url: string): Promise<Committer> {
  const pool = new Pool({ connectionString: url, max: 4 });
  const flush = async (rows: Row[]): Promise<true[]> => {
    let at = 0;
    const json = rows.map((r) => {
      const b = r.body;
      const row = {
        event_id: r.eventId,
        body_at: at,
        body_length: r.raw.length,
        headers: { 'content-type': 'application/json', 'x-event-id': r.eventId },
        external_id: b.transaction_id,
        amount: String(b.amount),
        currency: b.currency,
        direction: b.direction,
        occurred_at: b.occurred_at,
        reference: b.reference,
        description: b.description,
        counterparty: b.counterparty,
      };
      at += r.raw.length;
      return row;
    });
    await pool.query({
      name: 'durable',
      text: DURABLE_SQL,
      values: [JSON.stringify(json), Buffer.concat(rows.map((r) => r.raw))],
    });
    return rows.map(() => true);
  };
  // The service's own GroupCommitter (built into dist/ before the bench runs), same settings.
  const path = join(__dirname, '..', '..', '..', '..', 'dist', 'src', 'common', 'group-commit.js');
  const { GroupCommitter } = (await import(path)) as {
    GroupCommitter: new (
      f: (rows: Row[]) => Promise<true[]>,
      maxBatch: number,
      maxConcurrent: number,
      minExtra: number,
    ) => Committer;
  };
  return new GroupCommitter(flush, 500, 2, 10);
}

let committer: Committer | null = null;
const port = Number(process.env.PORT ?? 0);

type RawRequest = Request & { rawBody?: Buffer };

@Injectable()
class PassGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class PassInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): ReturnType<CallHandler['handle']> {
    return next.handle();
  }
}

const pipeline: ClassDecorator = (target) => {
  if (PIPELINE === '1' || PIPELINE === 'guard') UseGuards(PassGuard)(target);
  if (PIPELINE === '1' || PIPELINE === 'interceptor') UseInterceptors(PassInterceptor)(target);
};

@pipeline
@Controller('webhooks')
class WebhookController {
  @Post('bank/transactions')
  @HttpCode(202)
  receive(@Req() req: RawRequest): Record<string, unknown> | Promise<Record<string, unknown>> {
    const raw = req.rawBody ?? Buffer.alloc(0);
    const header = req.headers['x-signature'];
    const hex = typeof header === 'string' ? header.replace(/^sha256=/, '') : '';
    const given = Buffer.from(hex, 'hex');
    const expected = createHmac('sha256', secret).update(raw).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedException('invalid signature');
    }
    const eventId = req.headers['x-event-id'];
    if (typeof eventId !== 'string' || eventId === '') throw new BadRequestException('no event id');
    const body = req.body as { transaction_id?: unknown } | undefined;
    const answer = {
      ok: true,
      event_id: eventId,
      transaction_id: body?.transaction_id ?? null,
      status: 'accepted',
      deduped: false,
    };
    if (!committer) return answer;
    return committer.submit({ eventId, raw, body: body ?? {} }).then(() => answer);
  }
}

@Module({ controllers: [WebhookController] })
class MinimalModule {}

async function main(): Promise<void> {
  if (DATABASE_URL) committer = await durableCommitter(DATABASE_URL);
  const app = await NestFactory.create<NestExpressApplication>(MinimalModule, {
    rawBody: true,
    logger: false,
  });
  app.set('x-powered-by', false);
  app.set('etag', false);
  await app.listen(port, '127.0.0.1');
  const server = app.getHttpServer();
  server.keepAliveTimeout = 60_000;
  const addr = server.address();
  process.stdout.write(`ready ${typeof addr === 'object' && addr ? addr.port : port}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
