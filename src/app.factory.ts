import { Logger as NestLogger, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger, PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import type { AppConfig } from './config/config';
import { ProblemFilter, sendProblem } from './common/problem.filter';
import { validationProblem, type ProblemField } from './common/problem';
import { setupSwagger } from './common/swagger';
import { SecretBox, secretBox, useSecretBox } from './common/secret-box';
import { sealStoredSecrets, type SealedSecrets } from './database/stored-secrets';
import { requestBodies } from './request-bodies';
import { consolePages } from './console/console-pages';
import { StorableTextPipe } from './common/storable-text';
import { attachRequestLog } from './logging/request-log';
import { LoadGauge } from './common/load-gauge';
import { pendingMigrations } from './health/health.service';
import { WebhookMetrics } from './webhooks/webhook-metrics';

export interface CreateAppOptions {
  config: AppConfig;
  databaseUrl: string;
  /** Apply pending migrations (embedded database); otherwise refuse to start when any is pending. */
  migrate: boolean;
}

export class PendingMigrationsError extends Error {
  override readonly name = 'PendingMigrationsError';
}

function flatten(errors: ValidationError[], prefix = ''): ProblemField[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) => validationProblem(flatten(errors)),
  });
}

/** Builds the whole application; `main.ts` and the e2e tests both start it this way. */
export async function createApp(options: CreateAppOptions): Promise<NestExpressApplication> {
  // Before the database is used: entity columns holding secrets seal and open through it.
  useSecretBox(new SecretBox(options.config.secretsKey, options.config.secretsDecryptionKeys));
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config: options.config, databaseUrl: options.databaseUrl }),
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  const gauge = app.get(LoadGauge);
  const webhookMetrics = app.get(WebhookMetrics);
  attachRequestLog(
    app.getHttpServer(),
    () => PinoLogger.root,
    (req, status, ms) => {
      gauge.answered(ms);
      webhookMetrics.answered(req, status, ms);
    },
  );
  // Bodies and the docs in one layer: webhook bodies through the intake's own reader, the rest
  // through body-parser. Mounted without a path (it checks prefixes itself): a mount path makes
  // the router rewrite and restore `req.url` around the layer for every request.
  app.use(requestBodies(options.config.maxBodyBytes, setupSwagger(app), consolePages()));
  app.useGlobalPipes(new StorableTextPipe(), validationPipe());
  app.useGlobalFilters(new ProblemFilter());
  app.set('x-powered-by', false);
  app.set('etag', false);

  const dataSource = app.get(DataSource);
  if (options.migrate) {
    await dataSource.runMigrations({ transaction: 'each' });
  } else {
    const pending = await pendingMigrations(dataSource);
    if (pending.length > 0) {
      await app.close();
      throw new PendingMigrationsError(
        `The database schema is behind this build: ${pending.length} pending migration(s) ` +
          `(${pending.join(', ')}). run: npm run migration:run`,
      );
    }
  }
  let sealed: SealedSecrets;
  try {
    sealed = await sealStoredSecrets(dataSource, secretBox());
  } catch (err) {
    await app.close();
    throw err;
  }
  const secretsLog = new NestLogger('Secrets');
  if (sealed.encrypted > 0)
    secretsLog.log(`encrypted ${sealed.encrypted} stored secret(s) at rest`);
  if (sealed.reencrypted > 0) {
    secretsLog.log(
      `re-encrypted ${sealed.reencrypted} stored secret(s) with SECRETS_ENCRYPTION_KEY`,
    );
  }
  await app.init();
  // Errors raised by Express middleware (body-parser: 413, malformed JSON) never reach Nest's
  // filters; this last handler renders them as problem+json too.
  const logger = new NestLogger('Http');
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    sendProblem(err, req, res, logger);
  });
  return app;
}
