import { Module } from '@nestjs/common';
import { BanksModule } from '../banks/banks.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IntakeService } from './intake.service';
import { SignatureGuard } from './signature.guard';
import { UpIntake } from './up-intake';
import { BankRateLimitGuard, ClientRateLimitGuard, WebhookRateLimits } from './webhook-rate-limit';
import { WebhooksController } from './webhooks.controller';
import { WebhookMetrics } from './webhook-metrics';

@Module({
  imports: [BanksModule, TransactionsModule],
  controllers: [WebhooksController],
  providers: [
    IntakeService,
    UpIntake,
    WebhookRateLimits,
    ClientRateLimitGuard,
    SignatureGuard,
    BankRateLimitGuard,
    IdempotencyInterceptor,
    WebhookMetrics,
  ],
  exports: [IntakeService, WebhookMetrics],
})
export class WebhooksModule {}
