import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/config';
import { createTestDatabase } from './database';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestApp {
  app: NestExpressApplication;
  url: string;
  databaseUrl: string;
  request(
    method: string,
    path: string,
    init?: RequestInit & { json?: unknown },
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are asserted field by field
  body: any;
}

/** The real application on a fresh migrated database, listening on a random loopback port. */
export async function startTestApp(
  env: Record<string, string> = {},
  databaseUrl?: string,
): Promise<TestApp> {
  const dbUrl = databaseUrl ?? (await createTestDatabase());
  const config = loadConfig({
    PORT: '0',
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
    RECONCILE_CRON: 'off',
    ...env,
    DATABASE_URL: dbUrl,
  });
  const app = await createApp({ config, databaseUrl: dbUrl, migrate: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  return {
    app,
    url: base,
    databaseUrl: dbUrl,
    async request(method, path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      let body = rest.body;
      if (json !== undefined) {
        body = JSON.stringify(json);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      const res = await fetch(base + path, { ...rest, method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    close: () => app.close(),
  };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
