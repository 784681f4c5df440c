import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BanksModule } from './banks/banks.module';
import { LoadGauge } from './common/load-gauge';
import { APP_CONFIG, type AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source-options';
import { Wakeups } from './database/wakeups';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { InvoicesModule } from './invoices/invoices.module';
import { MetricsModule } from './metrics/metrics.module';
import { chooseLogFormat, logDestination } from './logging/log-format';
import { serializeError } from './logging/safe-error';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { StatsModule } from './stats/stats.module';
import { TransactionsModule } from './transactions/transactions.module';
import { StatementsModule } from './statements/statements.module';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl }: AppModuleOptions): DynamicModule {
    const pinoOptions = {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', '*.secrets', '*.token'], remove: true },
      // Database errors without their query parameters (secrets) or quoted rows.
      serializers: { err: serializeError },
    };
    const destination = logDestination(chooseLogFormat(config.logFormat, process.stdout));
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          // Nest's own logger goes to pino; per-request logging is `attachRequestLog` (app.factory),
          // so nestjs-pino mounts no middleware and no per-request AsyncLocalStorage.
          forRoutes: [],
          pinoHttp: destination ? [pinoOptions, destination] : pinoOptions,
        }),
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl)),
        ScheduleModule.forRoot(),
        // First: Express tries routes in registration order, and the webhook routes are the
        // ones called thousands of times a second.
        WebhooksModule,
        StatementsModule,
        MetricsModule,
        AuthModule,
        HealthModule,
        BanksModule,
        TransactionsModule,
        EventsModule,
        InvoicesModule,
        ReconciliationModule,
        StatsModule,
        AuditModule,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, LoadGauge, Wakeups],
      exports: [APP_CONFIG, LoadGauge, Wakeups],
      global: true,
    };
  }
}
