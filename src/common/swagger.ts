import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
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
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A staff API key' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs, the OpenAPI document at /docs-json. */
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => openApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}
