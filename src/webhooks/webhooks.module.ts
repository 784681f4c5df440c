import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { BanksModule } from '../banks/banks.module';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionsModule } from '../transactions/transactions.module';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IntakeService } from './intake.service';
import { SignatureGuard } from './signature.guard';
import { UpIntake } from './up-intake';
import {
  BankThrottleGuard,
  ClientThrottleGuard,
  webhookThrottlerOptions,
} from './webhook-throttle';
import { WebhooksController } from './webhooks.controller';

@Module({
  imports: [
    BanksModule,
    TransactionsModule,
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => webhookThrottlerOptions(config.webhookRateLimit),
    }),
  ],
  controllers: [WebhooksController],
  providers: [
    IntakeService,
    UpIntake,
    ClientThrottleGuard,
    SignatureGuard,
    BankThrottleGuard,
    IdempotencyInterceptor,
  ],
  exports: [IntakeService],
})
export class WebhooksModule {}
