import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';
import { ProblemException } from '../common/problem';
import { MetricsService } from '../metrics/metrics.service';
import type { IntakeOutcome } from '../intake/intake.service';
import type { WebhookRequest } from './delivery';
import type { WebhookAckDto } from './webhooks.dto';

/**
 * Idempotency keyed on (bank, event id). The key is a unique index, so concurrent retries are
 * settled by PostgreSQL (exactly one insert wins); this interceptor turns what the intake saw
 * into the contract's answers: first delivery 202 (200 for Up, which retries anything else),
 * replay of the same bytes 200 with deduped: true, the id reused for other bytes 409.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly outcomes;

  constructor(metrics: MetricsService) {
    this.outcomes = metrics.counter(
      'bank_sync_webhook_deliveries_total',
      'Webhook deliveries answered, by bank and outcome',
      ['bank', 'outcome'],
    );
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler<IntakeOutcome>,
  ): Observable<WebhookAckDto> {
    const http = context.switchToHttp();
    const req = http.getRequest<WebhookRequest>();
    const res = http.getResponse<Response>();
    return next.handle().pipe(
      map((outcome) => {
        const bank = req.delivery?.bank;
        const bankId = bank?.id ?? '(unknown)';
        if (!outcome.stored && !outcome.sameBody) {
          req.intakeAnswer = 'conflict';
          this.outcomes.inc({ bank: bankId, outcome: 'conflict' });
          throw new ProblemException(
            HttpStatus.CONFLICT,
            'event-id-conflict',
            `Event ${outcome.eventId} was already received with a different body`,
          );
        }
        const firstStatus = bank?.signature.scheme === 'up' ? HttpStatus.OK : HttpStatus.ACCEPTED;
        const status: number = outcome.stored ? firstStatus : HttpStatus.OK;
        // The routes default to 202 (@HttpCode): the usual delivery needs no second status().
        if (res.statusCode !== status) res.status(status);
        req.intakeAnswer = outcome.stored ? 'accepted' : 'deduped';
        this.outcomes.inc({ bank: bankId, outcome: req.intakeAnswer });
        return {
          ok: true,
          event_id: outcome.eventId,
          transaction_id: outcome.externalTransactionId,
          status: 'accepted',
          deduped: !outcome.stored,
        };
      }),
    );
  }
}
