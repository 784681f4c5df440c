import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HttpStatus } from '@nestjs/common';
import { Router, static as serveStatic, type RequestHandler, type Response } from 'express';
import { ProblemException } from '../common/problem';

/**
 * The staff console's page is served with headers that keep it from being framed or from
 * loading anything that is not this service's own (no CDN, no inline script): a script that
 * got into a transaction's description could not run, nor send the key anywhere.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** `dist/console` of this checkout, whether the code runs from `dist/src` or from `src`. */
export function builtConsoleDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return join(from, 'console');
    dir = up;
  }
  return join(dir, 'dist', 'console');
}

function setHeaders(res: Response, path: string): void {
  for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) res.setHeader(name, value);
  // Vite names assets by their content's hash: they never change; the page must be revalidated.
  res.setHeader(
    'Cache-Control',
    /[/\\]assets[/\\]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
  );
}

/**
 * `/console/…`: the files `npm run build` wrote to `dist/console` (the console routes with
 * `#/…`, so every page is the one index.html). A checkout that was not built answers 503 saying
 * what to run, rather than a bare 404.
 */
export function consolePages(dir = builtConsoleDir()): RequestHandler {
  const router = Router();
  if (existsSync(join(dir, 'index.html'))) {
    router.use(
      '/console',
      serveStatic(dir, { index: 'index.html', setHeaders, fallthrough: true }),
    );
  } else {
    router.use('/console', (_req, _res, next) =>
      next(
        new ProblemException(
          HttpStatus.SERVICE_UNAVAILABLE,
          'console-not-built',
          'The staff console is not built in this checkout: run npm run build',
        ),
      ),
    );
  }
  return router;
}
