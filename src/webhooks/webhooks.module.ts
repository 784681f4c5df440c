import { Module } from '@nestjs/common';
import { BanksModule } from '../banks/banks.module';
import { IntakeModule } from '../intake/intake.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { SignatureGuard } from './signature.guard';
import { UpIntake } from './up-intake';
import { WebhookIntake } from './webhook-intake.service';
import { BankRateLimitGuard, ClientRateLimitGuard, WebhookRateLimits } from './webhook-rate-limit';
import { WebhookEventsController } from './webhook-events.controller';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookReplayService } from './webhook-replay.service';
import { WebhooksController } from './webhooks.controller';
import { WebhookMetrics } from './webhook-metrics';

@Module({
  imports: [BanksModule, TransactionsModule, IntakeModule],
  controllers: [WebhooksController, WebhookEventsController],
  providers: [
    WebhookIntake,
    UpIntake,
    WebhookRateLimits,
    ClientRateLimitGuard,
    SignatureGuard,
    BankRateLimitGuard,
    IdempotencyInterceptor,
    WebhookMetrics,
    WebhookEventsService,
    WebhookReplayService,
  ],
  exports: [WebhookMetrics],
})
export class WebhooksModule {}
