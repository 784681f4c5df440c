import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { BanksModule } from './banks/banks.module';
import { APP_CONFIG, type AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source-options';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { InvoicesModule } from './invoices/invoices.module';
import { MetricsModule } from './metrics/metrics.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { StatsModule } from './stats/stats.module';
import { TransactionsModule } from './transactions/transactions.module';
import { WebhooksModule } from './webhooks/webhooks.module';

export interface AppModuleOptions {
  config: AppConfig;
  databaseUrl: string;
}

// Only these request headers are logged: an allow-list cannot leak a bank's custom
// signature header or a staff key the way a deny-list can.
const LOGGED_HEADERS = ['content-type', 'content-length', 'user-agent', 'x-event-id', 'webhook-id'];

function requestSummary(req: IncomingMessage & { id?: unknown }): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_HEADERS) {
    if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  }
  return { id: req.id, method: req.method, url: req.url, headers };
}

@Module({})
export class AppModule {
  static forRoot({ config, databaseUrl }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req: IncomingMessage, res: ServerResponse) => {
              const id = randomUUID();
              res.setHeader('X-Correlation-Id', id);
              return id;
            },
            serializers: {
              req: requestSummary,
              res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
            },
            // An accepted delivery is already recorded, byte for byte, in webhook_events; a log
            // line per delivery at thousands a second costs more than it tells (LOG_LEVEL=debug
            // shows them). Rejections and errors stay at info and above.
            customLogLevel: (req: IncomingMessage, res: ServerResponse, err?: Error) => {
              if (err || res.statusCode >= 500) return 'error';
              if (res.statusCode < 300 && req.url?.startsWith('/webhooks/')) return 'debug';
              return 'info';
            },
            redact: { paths: ['req.headers.authorization', '*.secrets', '*.token'], remove: true },
          },
        }),
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl)),
        ScheduleModule.forRoot(),
        MetricsModule,
        AuthModule,
        HealthModule,
        BanksModule,
        TransactionsModule,
        WebhooksModule,
        EventsModule,
        InvoicesModule,
        ReconciliationModule,
        StatsModule,
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
      global: true,
    };
  }
}
