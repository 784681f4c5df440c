import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_KEY, bearer, type TestApp } from './app';
import { query } from './database';
import { eventually, seedBody, sendSigned } from './webhooks';

const ROOT = join(__dirname, '..', '..');

/** Debian's chromium (`.ci/run` installs it); playwright-core downloads no browser of its own. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the console from its sources into dist/console, so a test never sees a stale build. */
export function buildConsole(): void {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'console/vite.config.mts',
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: apt-get install chromium (as root; .ci/run does it), ` +
        'or set CHROMIUM_PATH',
    );
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Opens the console and signs in with `key` through the login form. */
export async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/console/`);
  // Signed in already (an earlier key in this tab): start from the login form.
  await page.evaluate('sessionStorage.clear()');
  await page.reload();
  await page.getByLabel('Staff API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
}

const AXE_SOURCE = (): string => readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core injected into the page; the serious and critical violations it finds. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses inline scripts.
  await page.evaluate(AXE_SOURCE());
  return page.evaluate(async () => {
    interface AxeResults {
      violations: Array<{
        id: string;
        impact: string | null;
        help: string;
        nodes: Array<{ target: unknown[] }>;
      }>;
    }
    // Runs in the page (this file is compiled without the DOM library): axe.run() checks the
    // whole document.
    const axe = (globalThis as unknown as { axe: { run: () => Promise<AxeResults> } }).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => JSON.stringify(n.target)),
      }));
  });
}

export interface ConsoleScenario {
  operatorKey: string;
  viewerKey: string;
  /** Exceptions with one suggestion each: to accept, to decline, to write off. */
  toAccept: string;
  toDecline: string;
  toWriteOff: string;
  /** An exception received by webhook (raw event shown), with no candidate. */
  byWebhook: string;
  invoices: { accept: string; decline: string; writeOff: string };
}

/**
 * The data every console test and screenshot works on: staff keys, invoices, a write-off rule,
 * transactions left as exceptions with suggestions, one delivered by a signed webhook, a run.
 */
export async function seedConsoleScenario(t: TestApp): Promise<ConsoleScenario> {
  const admin = bearer(ADMIN_KEY);
  const key = async (name: string, role: string): Promise<string> =>
    (await t.request('POST', '/api-keys', { headers: admin, json: { name, role } })).body.key;
  const invoice = async (number: string, amount: string, customer: string): Promise<string> => {
    const res = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: number, amount_due: amount, currency: 'EUR', customer },
    });
    if (res.status !== 201) throw new Error(`invoice ${number}: ${res.status} ${res.text}`);
    return res.body.id;
  };
  let day = 1;
  const tx = async (amount: string, reference: string, counterparty: string): Promise<string> => {
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                                 reference, counterparty, status, unallocated_amount, processed_at)
       VALUES ('default', $1, $2, 'EUR', 'credit', $3, $4, $5, 'PROCESSED', $2, now())
       RETURNING id`,
      [
        `txn_${randomUUID().slice(0, 8)}`,
        amount,
        `2026-03-0${day++}T09:30:00Z`,
        reference,
        counterparty,
      ],
    );
    return row.id;
  };
  const operatorKey = await key('ops-alice', 'operator');
  const viewerKey = await key('viewer-vic', 'viewer');
  const rule = await t.request('POST', '/reconcile/write-off-rules', {
    headers: admin,
    json: { name: 'Bank fees', currency: 'EUR', max_amount: '5.00', reason: 'bank_fee' },
  });
  if (rule.status !== 201) throw new Error(`write-off rule: ${rule.status} ${rule.text}`);

  const invoices = {
    accept: await invoice('GLX-77', '250.00', 'Globex GmbH'),
    decline: await invoice('INI-10', '310.00', 'Initech Ltd'),
    writeOff: await invoice('INV-1001', '120.00', 'Acme Ltd'),
  };
  await invoice('GLX-78', '999.00', 'Globex GmbH');
  await invoice('INI-11', '998.00', 'Initech Ltd');
  const toAccept = await tx('250.00', 'thank you', 'GLOBEX');
  const toDecline = await tx('310.00', 'march payment', 'INITECH');
  const toWriteOff = await tx('117.50', 'inv1002', 'ACME Limited');

  const raw = JSON.stringify(
    seedBody({
      transaction_id: 'txn_webhook_1',
      amount: 42.5,
      currency: 'EUR',
      occurred_at: '2026-03-09T08:00:00Z',
      reference: 'ORDER 7731',
      description: 'Card payment <b>not markup</b>',
      counterparty: 'Unknown Shop',
    }),
  );
  const sent = await sendSigned(t, raw, 'evt_console_1');
  if (sent.status !== 202) throw new Error(`webhook: ${sent.status} ${sent.text}`);
  const byWebhook = await eventually(async () => {
    const res = await t.request('GET', '/transactions?external_id=txn_webhook_1', {
      headers: admin,
    });
    const found = res.body.data[0];
    return found?.status === 'PROCESSED' ? (found.id as string) : undefined;
  });
  const run = await t.request('POST', '/reconcile/run', { headers: admin });
  if (run.status !== 200) throw new Error(`run: ${run.status} ${run.text}`);
  await suggestionsSettled(t);
  return { operatorKey, viewerKey, toAccept, toDecline, toWriteOff, byWebhook, invoices };
}

/**
 * A bank statement for the coverage panel: two credits booked two days ago (UTC, inside the
 * panel's 14 days), one a signed webhook delivered first (known by its bank id), one that no
 * webhook delivered (a missed webhook). Waits until the worker has processed both.
 */
export async function seedStatement(t: TestApp): Promise<{ day: string }> {
  const admin = bearer(ADMIN_KEY);
  const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
  const raw = JSON.stringify(
    seedBody({
      transaction_id: 'txn_recent_1',
      amount: 64,
      currency: 'EUR',
      occurred_at: `${day}T10:00:00Z`,
      reference: 'ORDER 8800',
      counterparty: 'Corner Shop',
    }),
  );
  const sent = await sendSigned(t, raw, 'evt_console_recent');
  if (sent.status !== 202) throw new Error(`webhook: ${sent.status} ${sent.text}`);
  const yymmdd = day.slice(2).replace(/-/g, '');
  const file = [
    ':20:STMT',
    ':25:DE89370400440532013000',
    ':28C:1/1',
    `:60F:C${yymmdd}EUR1000,00`,
    `:61:${yymmdd}${yymmdd.slice(2)}C64,00NTRFNONREF//txn_recent_1`,
    ':86:ORDER 8800',
    `:61:${yymmdd}${yymmdd.slice(2)}C13,37NTRFNONREF//BANK-MISSED-1`,
    ':86:NO WEBHOOK FOR THIS ONE',
    `:62F:C${yymmdd}EUR1077,37`,
    '-',
  ].join('\r\n');
  await eventually(async () => {
    const res = await t.request('GET', '/transactions?external_id=txn_recent_1', {
      headers: admin,
    });
    return res.body.data[0]?.status === 'PROCESSED' ? true : undefined;
  });
  const up = await t.request('POST', '/banks/default/statements', {
    headers: { ...admin, 'content-type': 'text/plain' },
    body: file,
  });
  if (up.status !== 201) throw new Error(`statement: ${up.status} ${up.text}`);
  const [statement] = up.body.statements as Array<{ new_count: number; known_count: number }>;
  if (statement.new_count !== 1 || statement.known_count !== 1)
    throw new Error(`statement counts: ${JSON.stringify(statement)}`);
  await eventually(async () => {
    const [left] = await query<{ n: number }>(
      t.databaseUrl,
      `SELECT count(*)::int AS n FROM transactions WHERE status = 'PENDING'`,
    );
    return left.n === 0 ? true : undefined;
  });
  await suggestionsSettled(t);
  return { day };
}

/**
 * Until the suggestion worker has computed every exception: a page must not show a suggestion
 * that the worker's first pass then supersedes (accepting it would be a 409, rightly).
 */
async function suggestionsSettled(t: TestApp): Promise<void> {
  await eventually(async () => {
    const [due] = await query<{ n: number }>(
      t.databaseUrl,
      `SELECT count(*)::int AS n FROM transaction_exceptions WHERE suggested_at IS NULL`,
    );
    return due.n === 0 ? true : undefined;
  });
}
