import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { ProblemException } from '../common/problem';
import { builtConsoleDir, consolePages } from './console-pages';

function appOver(dir: string): express.Express {
  const app = express();
  app.use(consolePages(dir));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const body = err instanceof ProblemException ? err.toBody() : { status: 500 };
    res.status(body.status).json(body);
  });
  return app;
}

describe('consolePages', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'console-pages-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds dist/console of this checkout from src/ or dist/src/', () => {
    expect(builtConsoleDir(__dirname)).toBe(join(__dirname, '..', '..', 'dist', 'console'));
  });

  it('serves the page with its policy, and hashed assets as immutable', async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    const app = appOver(dir);
    const page = await request(app).get('/console/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(
      /default-src 'none'; script-src 'self'/,
    );
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await request(app).get('/console/assets/index-abc.js');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await request(app).get('/console')).status).toBe(301);
    expect((await request(app).get('/console/assets/nope.js')).status).toBe(404);
    // Only /console is its business.
    expect((await request(app).get('/index.html')).status).toBe(404);
  });

  it('says what to run when the console was not built', async () => {
    const res = await request(appOver(join(dir, 'missing'))).get('/console/');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      type: '/problems/console-not-built',
      detail: expect.stringContaining('npm run build'),
    });
  });
});
