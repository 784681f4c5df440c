/**
 * `npm run bench -- --part console`: the staff console against the built service on loopback,
 * in Debian's headless Chromium (playwright-core), with 10 000 exceptions in the queue.
 *
 * - first load: from navigation start to the end of the first API answer (HTML + JS + CSS +
 *   `GET /api-keys/me`), and on to the queue's first page on screen (every request the queue
 *   needs: `/stats`, `/banks`, `/reconcile/exceptions`). Cold: a new browser context each round
 *   (empty cache, key put in sessionStorage as the login form does); warm: a reload.
 * - queue render: from the exceptions answer being parsed to the first page rendered (the
 *   console's own `performance.measure('queue:render')`).
 *
 * Options: --rounds=20 --exceptions=10000 --dir=<checkout>. Writes bench/.work/console.json and
 * prints a Markdown table for bench/RESULTS.md. Targets (issue 23): first load < 500 ms,
 * queue render < 200 ms after the API answers.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  cliOption,
  log,
  round,
  startServiceBuild,
  stopChild,
  type Child,
  BENCH_ADMIN_KEY,
  BENCH_ROOT,
  BENCH_SECRET,
  BENCH_WORK,
  EMBEDDED_PG_PASSWORD,
} from './util';

const DIR = resolve(cliOption('dir') ?? BENCH_ROOT);
const ROUNDS = Number(cliOption('rounds') ?? 20);
const EXCEPTIONS = Number(cliOption('exceptions') ?? 10_000);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The console's sessionStorage entry (console/src/api/client.ts). */
const KEY_ENTRY = 'bank-sync.api-key';

interface Round {
  /** Navigation start → the HTML, and the script, fully received. */
  htmlMs: number;
  scriptMs: number;
  firstApiMs: number;
  queueShownMs: number;
  renderMs: number;
}

/** 10 000 credit transactions with an exception each, reasons spread, oldest first. */
async function seedExceptions(db: Client, n: number): Promise<void> {
  const reasons = [
    'no_reference',
    'unknown_invoice',
    'ambiguous',
    'overpayment',
    'currency_mismatch',
  ];
  await db.query(
    `WITH t AS (
       INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                                 reference, description, counterparty, status,
                                 unallocated_amount, processed_at)
       SELECT 'default', 'bench_console_' || g, (1000 + g % 9000)::numeric / 100, 'EUR', 'credit',
              timestamptz '2026-01-01' + g * interval '1 minute', 'REF ' || g,
              'console bench transfer ' || g, 'Customer ' || (g % 500), 'PROCESSED',
              (1000 + g % 9000)::numeric / 100, now()
         FROM generate_series(1, $1) g
       RETURNING id, occurred_at)
     INSERT INTO transaction_exceptions (transaction_id, reason, suggested_at, created_at)
     SELECT id, ($2::text[])[1 + (extract(epoch FROM occurred_at)::bigint / 60) % 5], now(),
            occurred_at
       FROM t`,
    [n, reasons],
  );
}

async function measure(page: Page, base: string, reload: boolean): Promise<Round> {
  if (reload) await page.reload();
  else await page.goto(`${base}/console/#/exceptions`);
  await page.waitForFunction(() => performance.getEntriesByName('queue:render').length > 0, null, {
    timeout: 30_000,
  });
  return page.evaluate(() => {
    const api = performance
      .getEntriesByType('resource')
      .filter((e) => !new URL(e.name).pathname.startsWith('/console'))
      .map((e) => (e as unknown as { responseEnd: number }).responseEnd);
    const nav = (performance.getEntriesByType as (type: string) => unknown[])('navigation')[0] as {
      responseEnd: number;
    };
    const script = performance
      .getEntriesByType('resource')
      .find((e) => e.name.endsWith('.js')) as unknown as { responseEnd: number } | undefined;
    return {
      htmlMs: nav.responseEnd,
      scriptMs: script?.responseEnd ?? 0,
      firstApiMs: Math.min(...api),
      queueShownMs: performance.getEntriesByName('queue:rendered')[0].startTime,
      renderMs: performance.getEntriesByName('queue:render')[0].duration,
    };
  });
}

/** The floor under the same load: a fresh context navigating to a tiny JSON answer (/health). */
async function bareNavigationMs(browser: Browser, base: string): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/health`);
  const ms = await page.evaluate(
    () =>
      (
        (performance.getEntriesByType as (type: string) => unknown[])('navigation')[0] as {
          responseEnd: number;
        }
      ).responseEnd,
  );
  await context.close();
  return ms;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))], 1);
};

export async function consoleBench(): Promise<void> {
  if (!existsSync(join(DIR, 'dist', 'console', 'index.html'))) {
    throw new Error(`${DIR}/dist/console is missing: run "npm run build" (npm run bench does it)`);
  }
  mkdirSync(join(BENCH_WORK, 'logs'), { recursive: true });
  let child: Child | undefined;
  let browser: Browser | undefined;
  try {
    const started = await startServiceBuild(
      DIR,
      join(BENCH_WORK, 'console-data'),
      BENCH_SECRET,
      { ADMIN_API_KEY: BENCH_ADMIN_KEY },
      join(BENCH_WORK, 'logs', 'console-service.log'),
    );
    child = started.child;
    const base = `http://127.0.0.1:${started.port}`;
    const db = new Client({
      connectionString: `postgres://postgres:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${started.env.EMBEDDED_PG_PORT}/bank_sync`,
    });
    await db.connect();
    await seedExceptions(db, EXCEPTIONS);
    await db.end();
    log(`seeded ${EXCEPTIONS} exceptions; ${ROUNDS} rounds cold and warm`);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const bare: number[] = [];
    const cold: Round[] = [];
    const warm: Round[] = [];
    for (let i = 0; i < ROUNDS + 2; i++) {
      const context = await browser.newContext();
      await context.addInitScript({
        content: `sessionStorage.setItem(${JSON.stringify(KEY_ENTRY)}, ${JSON.stringify(BENCH_ADMIN_KEY)})`,
      });
      const page = await context.newPage();
      const c = await measure(page, base, false);
      const w = await measure(page, base, true);
      await context.close();
      // The first two rounds warm the service and the browser up; they are not counted.
      const b = await bareNavigationMs(browser, base);
      if (i >= 2) {
        bare.push(b);
        cold.push(c);
        warm.push(w);
      }
    }
    const summary = (rs: Round[]) => ({
      html_ms: {
        p50: pct(
          rs.map((r) => r.htmlMs),
          50,
        ),
        p95: pct(
          rs.map((r) => r.htmlMs),
          95,
        ),
      },
      script_ms: {
        p50: pct(
          rs.map((r) => r.scriptMs),
          50,
        ),
        p95: pct(
          rs.map((r) => r.scriptMs),
          95,
        ),
      },
      first_api_ms: {
        p50: pct(
          rs.map((r) => r.firstApiMs),
          50,
        ),
        p95: pct(
          rs.map((r) => r.firstApiMs),
          95,
        ),
      },
      queue_shown_ms: {
        p50: pct(
          rs.map((r) => r.queueShownMs),
          50,
        ),
        p95: pct(
          rs.map((r) => r.queueShownMs),
          95,
        ),
      },
      render_ms: {
        p50: pct(
          rs.map((r) => r.renderMs),
          50,
        ),
        p95: pct(
          rs.map((r) => r.renderMs),
          95,
        ),
      },
    });
    const result = {
      exceptions: EXCEPTIONS,
      rounds: ROUNDS,
      load_average_at_start: round(loadavg()[0], 2),
      bare_navigation_ms: { p50: pct(bare, 50), p95: pct(bare, 95) },
      cold: summary(cold),
      warm: summary(warm),
    };
    writeFileSync(join(BENCH_WORK, 'console.json'), JSON.stringify(result, null, 2) + '\n');
    const row = (name: string, k: keyof ReturnType<typeof summary>) =>
      `| ${name} | ${result.cold[k].p50} / ${result.cold[k].p95} | ${result.warm[k].p50} / ${result.warm[k].p95} |`;
    console.log(
      [
        `| console, ${EXCEPTIONS} exceptions, ${ROUNDS} rounds (ms, p50 / p95) | cold | warm (reload) |`,
        '| --- | --- | --- |',
        `| (load average at start: ${result.load_average_at_start} on ${cpus().length} cores) | | |`,
        `| floor: a fresh context's navigation to /health (same run) | ${result.bare_navigation_ms.p50} / ${result.bare_navigation_ms.p95} | |`,
        row('navigation → HTML received', 'html_ms'),
        row('navigation → script received (cached on reload)', 'script_ms'),
        row('first load: navigation → first API answer', 'first_api_ms'),
        row('navigation → queue first page on screen', 'queue_shown_ms'),
        row('queue render after the API answer', 'render_ms'),
      ].join('\n'),
    );
  } finally {
    await browser?.close();
    if (child) await stopChild(child);
  }
}
