import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from '../src/app.module';
import { openApiDocument } from '../src/common/swagger';
import { loadConfig } from '../src/config/config';

/**
 * The document /docs-json serves, built without a database or a listening server: Nest's preview
 * mode resolves the modules and their controllers' metadata but instantiates no provider, so the
 * data source never connects (the URL below is never dialled). An e2e test checks that it equals
 * what the running service serves.
 */
export async function offlineOpenApiDocument(): Promise<OpenAPIObject> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(
    AppModule.forRoot({ config, databaseUrl: 'postgres://offline@127.0.0.1:1/never-dialled' }),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}

// `node dist/scripts/openapi-document.js FILE`: writes the document to FILE (stdout without one).
if (require.main === module) {
  offlineOpenApiDocument().then(
    (doc) => {
      const json = JSON.stringify(doc, null, 2) + '\n';
      if (process.argv[2]) writeFileSync(process.argv[2], json);
      else process.stdout.write(json);
    },
    (err: unknown) => {
      console.error('could not build the OpenAPI document:', err);
      process.exit(1);
    },
  );
}
