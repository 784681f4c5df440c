import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import {
  buildConsole,
  launchChromium,
  seedConsoleScenario,
  seedStatement,
  seriousA11yViolations,
  signIn,
  type ConsoleScenario,
} from './support/console';
import { WEBHOOK_SECRET } from './support/webhooks';

/** `npm run console:screenshots` sets this: each screen of the a11y walk is also saved there. */
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

/** Buttons that would change something; a viewer must see none of them. */
const ACTION = /accept|decline|allocate|reverse|retry|replay|run now|write off/i;

jest.setTimeout(60_000);

describe('staff console in headless Chromium', () => {
  let t: TestApp;
  let s: ConsoleScenario;
  /** The day (UTC, two days ago) of the uploaded statement, with one missed webhook. */
  let statementDay: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Errors the page logged (a CSP refusal, an exception): none is expected. */
  let pageErrors: string[];
  const admin = bearer(ADMIN_KEY);

  beforeAll(async () => {
    buildConsole();
    // Staff work every suggestion here by hand: with the default threshold the worker would
    // apply the sure ones (the fee write-off scores above 0.95) before or after the page shows
    // them, whichever comes first on the machine.
    t = await startTestApp({ WEBHOOK_SECRET, AUTO_MATCH_THRESHOLD: 'off' });
    s = await seedConsoleScenario(t);
    ({ day: statementDay } = await seedStatement(t));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // A refusal the test provokes (401, 409) is logged by Chromium too; a 5xx never is fine.
      if (msg.type() === 'error' && !/responded with a status of 4\d\d/.test(msg.text()))
        pageErrors.push(msg.text());
    });
  });
  afterEach(async () => {
    await context.close();
    expect(pageErrors).toEqual([]);
  });

  it('is served by the service with a strict policy and cacheable assets', async () => {
    const res = await fetch(`${t.url}/console`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/console/');
    const index = await t.request('GET', '/console/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    expect(script).toBeDefined();
    const asset = await t.request('GET', script as string);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // Everything the page loads comes from the service itself.
    expect(index.text).not.toMatch(/https?:\/\//);
  });

  it('refuses a wrong key readably, with the correlation id, and keeps no key in the URL', async () => {
    await page.goto(`${t.url}/console/`);
    await page.getByLabel('Staff API key').fill('bks_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/Unauthorized[\s\S]*sign in again/);
    expect(await alert.locator('.correlation').innerText()).toMatch(/\S{8,}/);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    await signIn(page, t.url, s.operatorKey);
    expect(page.url()).not.toContain(s.operatorKey);
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([s.operatorKey]);
    expect(await page.evaluate('localStorage.length + document.cookie.length')).toBe(0);
    // Reloading the tab keeps the session; a new tab (context) asks again.
    await page.reload();
    await page.getByTestId('who').waitFor();
    expect(await page.getByTestId('who').innerText()).toBe('ops-alice (operator)');
  });

  it('works an exception from the queue to accepted, with the keyboard', async () => {
    await signIn(page, t.url, s.operatorKey);
    const queue = page.getByRole('table', { name: 'Exceptions queue' });
    await queue.waitFor();
    // Counts by reason (the statement's two credits match nothing either); oldest exception
    // first (the webhook's was made before the run's).
    const counts = page.getByRole('group', { name: 'Exceptions by reason' });
    await counts.filter({ hasText: /All\s*\d/ }).waitFor(); // '…' until /stats answers
    expect(await counts.innerText()).toMatch(/All\s*6/);
    const rows = queue.locator('tbody tr');
    expect(await rows.first().innerText()).toContain('ORDER 7731');
    const ids = await rows
      .locator('a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')?.split('/').pop()));
    const target = ids.indexOf(s.toAccept);
    expect(target).toBeGreaterThan(0);
    // Down past it and back up one, then open the selected row.
    for (let i = 0; i <= target; i++) await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await rows.nth(target).getAttribute('class')).toBe('selected');
    await page.keyboard.press('o');
    await page.waitForURL(new RegExp(`#/exceptions/${s.toAccept}$`));
    const card = page.getByRole('article', { name: 'Suggestion GLX-77' });
    await card.waitFor();
    expect(await card.innerText()).toMatch(/party[\s\S]*GLOBEX/i);
    await card.getByRole('button', { name: 'Accept', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Accepted' }).waitFor();

    const inv = await t.request('GET', `/invoices/${s.invoices.accept}`, { headers: admin });
    expect(inv.body).toMatchObject({ status: 'paid', amount_outstanding: '0.00' });
    expect(inv.body.allocations[0]).toMatchObject({
      transaction_id: s.toAccept,
      created_by: 'ops-alice',
    });
    await page.getByRole('link', { name: '← Exceptions queue' }).click();
    await queue.waitFor();
    expect(await queue.innerText()).not.toContain('thank you');

    // The invoice's audit trail shows who made that allocation, and how.
    await page.goto(`${t.url}/console/#/invoices/${s.invoices.accept}`);
    const trail = page.getByRole('table', { name: 'Audit entries' });
    await trail.waitFor();
    const made = trail.locator('tbody tr').filter({ hasText: 'allocation.created' });
    expect(await made.count()).toBe(1);
    const cells = await made.locator('td').allInnerTexts();
    expect(cells[1]).toBe('ops-alice');
    expect(cells[3]).toContain(`transaction id ${s.toAccept}`);
    expect(cells[3]).toContain('rule suggestion');
    expect(await trail.innerText()).toContain('invoice.created');
  });

  it('declines a suggestion with a reason; it is not proposed again', async () => {
    await signIn(page, t.url, s.operatorKey);
    await page.goto(`${t.url}/console/#/exceptions/${s.toDecline}`);
    const card = page.getByRole('article', { name: 'Suggestion INI-10' });
    await card.getByRole('button', { name: 'Decline…' }).click();
    await card.getByLabel('Why decline?').fill('customer says it pays INI-11');
    await card.getByRole('button', { name: 'Decline', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Declined' }).waitFor(); // the card is gone
    const left = await t.request('GET', `/reconcile/exceptions/${s.toDecline}/suggestions`, {
      headers: admin,
    });
    expect(
      left.body.data.map(
        (x: { invoices: Array<{ invoice_number: string }> }) => x.invoices[0].invoice_number,
      ),
    ).not.toContain('INI-10');
    expect(
      (await t.request('GET', `/invoices/${s.invoices.decline}`, { headers: admin })).body.status,
    ).toBe('pending');
  });

  it('writes off a bank fee by accepting the suggestion that carries it', async () => {
    await signIn(page, t.url, s.operatorKey);
    await page.goto(`${t.url}/console/#/exceptions/${s.toWriteOff}`);
    const button = page.getByRole('button', { name: /Accept and write off 2\.50 EUR/ });
    await button.click();
    // The outcome, or the refusal the page shows instead (its text is then the failure's).
    const outcome = page
      .getByRole('status')
      .filter({ hasText: 'written off' })
      .or(page.getByRole('alert'))
      .first();
    await outcome.waitFor();
    expect(await outcome.innerText()).toContain('written off');
    const inv = await t.request('GET', `/invoices/${s.invoices.writeOff}`, { headers: admin });
    expect(inv.body).toMatchObject({
      status: 'paid',
      amount_paid: '117.50',
      amount_written_off: '2.50',
    });
  });

  it('allocates by hand and shows what the API refuses, readably', async () => {
    await signIn(page, t.url, s.operatorKey);
    await page.goto(`${t.url}/console/#/exceptions/${s.byWebhook}`);
    await page.getByLabel('Invoice number').fill('GLX-78');
    await page.getByLabel(/^Amount/).fill('999999.00');
    await page.getByLabel(/^Note/).fill('customer asked');
    await page.getByRole('button', { name: 'Allocate' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/Conflict \(409\)[\s\S]*Correlation id/);
    await page.getByLabel(/^Amount/).fill('');
    await page.getByRole('button', { name: 'Allocate' }).click();
    await page.getByRole('status').filter({ hasText: 'Allocated 42.50 EUR to GLX-78' }).waitFor();
  });

  it("shows the bank's coverage, a missed webhook in words, and its statements", async () => {
    await signIn(page, t.url, s.viewerKey);
    await page.goto(`${t.url}/console/#/banks`);
    const coverage = page.getByRole('table', { name: /^Coverage, last 14 days: .*\(default\)$/ });
    await coverage.waitFor();
    const days = coverage.locator('tbody tr');
    expect(await days.count()).toBe(14);
    const missedDays = days.filter({ hasText: 'missed webhook' });
    expect(await missedDays.count()).toBe(1);
    // Day, statement entries, by webhook, by pull, only in a statement, in no statement.
    const cells = await missedDays.locator('th, td').allInnerTexts();
    expect(cells).toEqual([statementDay, '2', '1', '0', '⚠ 1 missed webhook', '0']);
    expect(await missedDays.getAttribute('class')).toBe('missed');
    const section = page.getByRole('region', { name: /^Coverage and statements: .*\(default\)$/ });
    expect(await section.innerText()).toContain('1 missed webhook on 1 day in the last 14 days.');
    const statements = section.getByRole('table', { name: /^Statements: / });
    const row = await statements.locator('tbody tr').first().locator('td').allInnerTexts();
    expect(row).toEqual([
      statementDay,
      'DE89370400440532013000',
      'mt940',
      '2',
      '1',
      '1',
      'balances add up',
      expect.stringMatching(/ UTC$/),
    ]);
  });

  it('shows a viewer every screen without a single button that would change anything', async () => {
    await signIn(page, t.url, s.viewerKey);
    const screens = [
      '#/exceptions',
      `#/exceptions/${s.toDecline}`,
      `#/exceptions/${s.byWebhook}`,
      '#/invoices',
      `#/invoices/${s.invoices.accept}`,
      '#/transactions',
      `#/transactions/${s.toAccept}`,
      '#/runs',
      '#/banks',
      '#/dead-letters',
    ];
    for (const hash of screens) {
      await page.goto(`${t.url}/console/${hash}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      // The detail pages' audit trail (both have allocations by now) is read-only too.
      if (/^#\/(invoices|transactions)\/./.test(hash))
        await page.getByRole('table', { name: 'Audit entries' }).waitFor();
      // The banks' coverage and statements panel is read-only too.
      if (hash === '#/banks')
        await page.getByRole('table', { name: /^Statements: .*\(default\)$/ }).waitFor();
      const labels = await page.getByRole('button').allInnerTexts();
      expect([hash, labels.filter((l) => ACTION.test(l))]).toEqual([hash, []]);
      expect([hash, await page.locator('form input[id^="alloc"]').count()]).toEqual([hash, 0]);
    }
    // The same pages show an operator its buttons (the check above can fail).
    await signIn(page, t.url, s.operatorKey);
    await page.goto(`${t.url}/console/#/exceptions/${s.byWebhook}`);
    await page.getByRole('button', { name: 'Allocate' }).waitFor();
    await page.getByRole('button', { name: 'Replay through the intake' }).waitFor();
  });

  it('has no serious or critical accessibility issue on any screen (axe-core)', async () => {
    await signIn(page, t.url, ADMIN_KEY);
    const screens: Array<[string, string]> = [
      ['exceptions', '#/exceptions'],
      ['exception', `#/exceptions/${s.byWebhook}`],
      // Run alone (npm run console:screenshots) its suggestion is still open.
      ['suggestions', `#/exceptions/${s.toWriteOff}`],
      ['invoices', '#/invoices'],
      ['invoice', `#/invoices/${s.invoices.writeOff}`], // its audit trail included
      ['transactions', '#/transactions'],
      ['transaction', `#/transactions/${s.toWriteOff}`],
      ['runs', '#/runs'],
      ['banks', '#/banks'],
      ['dead-letters', '#/dead-letters'],
    ];
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    const found: Record<string, unknown> = {};
    for (const [name, hash] of screens) {
      await page.goto(`${t.url}/console/${hash}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      if (name === 'invoice') await page.getByRole('table', { name: 'Audit entries' }).waitFor();
      if (name === 'banks')
        await page.getByRole('table', { name: /^Statements: .*\(default\)$/ }).waitFor();
      const violations = await seriousA11yViolations(page);
      if (violations.length > 0) found[name] = violations;
      if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    }
    // The login page too, signed out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Staff API key').waitFor();
    const login = await seriousA11yViolations(page);
    if (login.length > 0) found.login = login;
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'login.png') });
    expect(found).toEqual({});
  });
});
