import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Router } from 'express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { completeDocument } from './openapi-errors';

/** Every tag an operation carries, with what it groups (a route's tag must be listed here). */
export const API_TAGS: Record<string, string> = {
  webhooks: 'Signed transaction deliveries from partner banks (no staff key: the signature)',
  'webhook-events': 'Every stored delivery, its exact bytes, and replay through the intake',
  banks: 'Partner banks: signature schemes, write-only secrets, pull APIs',
  transactions: 'Transactions received by webhook or pull, their processing and retries',
  statements: 'Bank statement files (camt, MT940, OFX, CSV), their entries, and coverage',
  invoices: 'Invoices and the allocations that pay them',
  reconciliation: 'Runs (pull, then match), exceptions and manual allocations',
  subscriptions: 'Outbound webhook subscriptions and their deliveries',
  'api-keys': 'Staff API keys and their roles',
  audit: 'The hash-chained audit log of every change to money or access, and its check',
  operations: 'Health, readiness, metrics and statistics',
};

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Bank Sync')
    .setDescription(
      [
        'Takes in signed bank transaction webhooks and reconciles them against invoices.',
        '',
        'Staff endpoints need `Authorization: Bearer <api key>`. Roles: `viewer` (reads),',
        '`operator` (reads, invoices, reconciliation, manual matches), `admin` (everything,',
        'banks and keys). Webhooks are authenticated by the bank signature instead.',
        'Errors are RFC 9457 `application/problem+json`.',
      ].join('\n'),
    )
    .setVersion('0.1.0')
    // package.json's license; a test keeps the two equal.
    .setLicense('MIT', 'https://spdx.org/licenses/MIT.html')
    // Relative: the host that serves this document, wherever it is deployed.
    .addServer('/', 'This service (the host serving this document)')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'API key',
      description: 'A staff API key (bks_…)',
    });
  for (const [name, description] of Object.entries(API_TAGS)) builder.addTag(name, description);
  return completeDocument(SwaggerModule.createDocument(app, builder.build()));
}

/**
 * Swagger UI at /docs, the OpenAPI document at /docs-json. It must be set up before Nest adds
 * its not-found handler (at init), so its routes stand in front of the API's; Express tries
 * routes in order, and nine of them before every webhook delivery cost ~4 % of the intake
 * (bench/RESULTS.md). So the routes it registers are taken out of the application's router into
 * one of their own, returned here for the caller to mount behind one cheap prefix check
 * (`requestBodies`).
 */
export function setupSwagger(app: NestExpressApplication): Router {
  const router = (app.getHttpAdapter().getInstance() as { router: Router }).router;
  const before = router.stack.length;
  SwaggerModule.setup('docs', app, () => openApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
  const docs = Router();
  docs.stack.push(...router.stack.splice(before));
  return docs;
}
