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

const secret = process.env.WEBHOOK_SECRET ?? '';
// (a''): the same route behind one pass-through guard and one pass-through interceptor, to price
// what Nest itself does for any route that has them (the service's webhook routes must).
// NEST_MINIMAL_PIPELINE: 'guard', 'interceptor' or '1' (both).
const PIPELINE = process.env.NEST_MINIMAL_PIPELINE ?? '';
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
  receive(@Req() req: RawRequest): Record<string, unknown> {
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
    return {
      ok: true,
      event_id: eventId,
      transaction_id: body?.transaction_id ?? null,
      status: 'accepted',
      deduped: false,
    };
  }
}

@Module({ controllers: [WebhookController] })
class MinimalModule {}

async function main(): Promise<void> {
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
