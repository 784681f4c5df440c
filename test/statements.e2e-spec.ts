import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessingWorker } from '../src/transactions/processing.worker';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { dutchCsvMapping, mt940Statement } from './support/statement-read';
import { seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const fixture = (name: string): Buffer =>
  readFileSync(join(__dirname, 'fixtures', 'statements', name));

const mt940 = (opening: string, closing: string, lines: string[], day = '260301'): string =>
  mt940Statement(opening, closing, lines, day, 'STMT');

/** Statements (issue 21): upload, idempotency, nothing stored from a bad file, dedup, coverage. */
describe('bank statements', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);
  const keys: Record<'viewer' | 'operator', Record<string, string>> = { viewer: {}, operator: {} };

  const upload = (body: string | Buffer, path = '/banks/default/statements', type = 'text/plain') =>
    t.request('POST', path, { headers: { ...keys.operator, 'content-type': type }, body });
  const counts = async () =>
    (
      await query<{ files: number; entries: number; txs: number; outbox: number }>(
        t.databaseUrl,
        `SELECT (SELECT count(*)::int FROM statement_files) AS files,
                (SELECT count(*)::int FROM statement_entries) AS entries,
                (SELECT count(*)::int FROM transactions) AS txs,
                (SELECT count(*)::int FROM outbox_events) AS outbox`,
      )
    )[0];

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_SECRET, WORKER_ENABLED: 'false' });
    for (const role of ['viewer', 'operator'] as const) {
      const res = await t.request('POST', '/api-keys', {
        headers: admin,
        json: { name: `statements-${role}`, role },
      });
      keys[role] = bearer(res.body.key as string);
    }
  });
  afterAll(() => t.close());

  it('stores a camt.053 file, answers 201 with its statement, and the same bytes again 200', async () => {
    const before = await counts();
    const file = fixture('oca-camt053.xml');
    const res = await upload(file, '/banks/default/statements', 'application/xml');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ bank_id: 'default', format: 'camt053' });
    expect(res.body.file_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.statements).toEqual([
      expect.objectContaining({
        account: 'NL77ABNA0574908765',
        currency: 'EUR',
        opening_balance: '15568.27',
        closing_balance: '15121.12',
        entries_count: 3,
        new_count: 3,
        known_count: 0,
        // The file's own balances do not add up (test/fixtures/statements/README.md).
        balance_check: 'mismatch',
        gap_before: null,
      }),
    ]);
    const again = await upload(file, '/banks/default/statements', 'application/xml');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    const after = await counts();
    expect(after.files - before.files).toBe(1);
    expect(after.txs - before.txs).toBe(3);
    const txs = await query<{ source: string; status: string; amount: string }>(
      t.databaseUrl,
      `SELECT source, status, amount::text FROM transactions WHERE source = 'statement' ORDER BY amount`,
    );
    expect(txs.map((r) => r.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
  });

  it('the same file uploaded twice at once is stored once: one 201, one 200', async () => {
    const before = await counts();
    const file = mt940('0,00', '3,00', [':61:2603200320C3,00NTRFREF//TWICE-1'], '260320');
    const answers = await Promise.all([upload(file), upload(file)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 201]);
    expect(answers[0].body).toEqual(answers[1].body);
    const after = await counts();
    expect(after.files - before.files).toBe(1);
    expect(after.txs - before.txs).toBe(1);
  });

  it('a file that cannot be read is a 400 naming where, and stores nothing', async () => {
    const before = await counts();
    const broken = mt940('100,00', '90,00', [
      ':61:2603010301D5,00NMSCNONREF',
      ':61:2603010301D5,00NMSCNONREF',
      ':61:26030X0301D5,00NMSCNONREF',
    ]);
    const res = await upload(broken);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([
      { field: 'line 7 (:61:)', message: expect.stringMatching(/not a statement line/) },
    ]);
    expect(await counts()).toEqual(before);
    const xxe = upload(
      '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document/>',
      '/banks/default/statements?format=camt053',
      'application/xml',
    );
    expect((await xxe).status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it('an entry a webhook brought is known; identical card payments stay two; the rest is new', async () => {
    const delivered = await sendSigned(
      t,
      JSON.stringify(
        seedBody({
          transaction_id: 'wh-1',
          amount: '250.00',
          currency: 'EUR',
          occurred_at: '2026-03-02T09:00:00Z',
          reference: 'INV-77',
        }),
      ),
      'evt-wh-1',
    );
    expect(delivered.status).toBe(202);
    const res = await upload(
      mt940('1000,00', '1240,00', [
        // Booked a day after the webhook's time, no bank id: known by the ±2 days rule.
        ':61:2603010301C250,00NTRFNONREF',
        ':86:/REMI/INV-77/',
        ':61:2603010301D5,00NMSCNONREF',
        ':86:CARD 1234',
        ':61:2603010301D5,00NMSCNONREF',
        ':86:CARD 1234',
      ]),
    );
    expect(res.status).toBe(201);
    expect(res.body.statements[0]).toMatchObject({
      entries_count: 3,
      known_count: 1,
      new_count: 2,
      balance_check: 'ok',
    });
    const detail = await t.request('GET', `/statements/${res.body.statements[0].id}`, {
      headers: keys.viewer,
    });
    expect(detail.status).toBe(200);
    const [wh] = await query<{ id: string }>(
      t.databaseUrl,
      `SELECT id FROM transactions WHERE external_id = 'wh-1'`,
    );
    expect(detail.body.entries.map((e: { outcome: string }) => e.outcome)).toEqual([
      'known',
      'new',
      'new',
    ]);
    expect(detail.body.entries[0].transaction_id).toBe(wh.id);
    expect(detail.body.entries[1].transaction_id).not.toBe(detail.body.entries[2].transaction_id);

    // The next day's statement opens on another balance than this one closed: a gap.
    const next = await upload(mt940('1200,00', '1200,00', [], '260302'));
    expect(next.status).toBe(201);
    expect(next.body.statements[0].gap_before).toEqual({
      expected_opening: '1240.00',
      previous_statement_id: res.body.statements[0].id,
    });

    // An overlapping statement (the same day again, from another export) duplicates nothing.
    const before = await counts();
    const overlap = await upload(
      `${mt940('1000,00', '1240,00', [
        ':61:2603010301C250,00NTRFNONREF',
        ':86:/REMI/INV-77/',
        ':61:2603010301D5,00NMSCNONREF',
        ':86:CARD 1234',
        ':61:2603010301D5,00NMSCNONREF',
        ':86:CARD 1234',
      ])}\r\n`,
    );
    expect(overlap.status).toBe(201);
    expect(overlap.body.statements[0]).toMatchObject({ known_count: 3, new_count: 0 });
    expect((await counts()).txs).toBe(before.txs);
  });

  it('entries are matched like any transaction', async () => {
    const inv = await t.request('POST', '/invoices', {
      headers: keys.operator,
      json: { invoice_number: 'INV-500', amount_due: '42.00', currency: 'EUR' },
    });
    expect(inv.status).toBe(201);
    const res = await upload(
      mt940(
        '0,00',
        '42,00',
        [':61:2603050305C42,00NTRFREF1//BANK-500', ':86:/REMI/INV-500/'],
        '260305',
      ),
    );
    expect(res.status).toBe(201);
    await t.app.get(ProcessingWorker).tick();
    const invoice = await t.request('GET', `/invoices/${inv.body.id}`, { headers: keys.viewer });
    expect(invoice.body.status).toBe('paid');
    const [tx] = await query<{ external_id: string; source: string }>(
      t.databaseUrl,
      `SELECT external_id, source FROM transactions WHERE external_id = 'BANK-500'`,
    );
    expect(tx).toEqual({ external_id: 'BANK-500', source: 'statement' });
  });

  it('coverage per day, the missed-webhook counter and the bank.webhooks_missed event', async () => {
    const res = await t.request('GET', '/banks/default/coverage?from=2026-03-01&to=2026-03-02', {
      headers: keys.viewer,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      {
        date: '2026-03-01',
        statement_entries: 3,
        received_by_webhook: 0,
        found_by_pull: 0,
        only_in_statement: 2,
        not_in_statement: 0,
      },
      {
        date: '2026-03-02',
        statement_entries: 0,
        received_by_webhook: 1,
        found_by_pull: 0,
        only_in_statement: 0,
        not_in_statement: 0,
      },
    ]);
    const events = await query<{
      payload: { bank_id: string; count: number };
      aggregatetype: string;
      aggregateid: string;
    }>(
      t.databaseUrl,
      `SELECT payload, aggregatetype, aggregateid FROM outbox_events
        WHERE type = 'bank.webhooks_missed' ORDER BY created_at`,
    );
    expect(events.map((e) => e.payload.count)).toEqual([3, 1, 2, 1]);
    expect(events[0]).toMatchObject({ aggregatetype: 'bank', aggregateid: 'default' });
    const metrics = await t.request('GET', '/metrics', { headers: keys.viewer });
    expect(metrics.text).toMatch(/bank_sync_missed_webhooks_total\{bank="default"\} 7/);
    const bad = await t.request('GET', '/banks/default/coverage?from=2026-03-05&to=2026-03-01', {
      headers: keys.viewer,
    });
    expect(bad.status).toBe(400);
  });

  it('CSV through the saved mapping, multipart field "file"; lists and roles', async () => {
    const mapping = dutchCsvMapping({ external_id: 'Id' });
    const denied = await t.request('PUT', '/banks/default/csv-mapping', {
      headers: keys.viewer,
      json: mapping,
    });
    expect(denied.status).toBe(403);
    const bad = await t.request('PUT', '/banks/default/csv-mapping', {
      headers: keys.operator,
      json: { ...mapping, columns: { date: 'Datum' } },
    });
    expect(bad.status).toBe(400);
    const put = await t.request('PUT', '/banks/default/csv-mapping', {
      headers: keys.operator,
      json: mapping,
    });
    expect(put.status).toBe(200);
    const csv = Buffer.from(
      'Datum;Naam;Af Bij;Bedrag;Id\n20260310;Crème BV;Bij;12,50;C-1\n',
      'latin1',
    );
    const form = new FormData();
    form.append('file', new Blob([csv]), 'export.csv');
    const res = await t.request('POST', '/banks/default/statements', {
      headers: keys.operator,
      body: form,
    });
    expect(res.status).toBe(201);
    expect(res.body.format).toBe('csv');
    expect(res.body.statements[0]).toMatchObject({ entries_count: 1, balance_check: null });
    const list = await t.request('GET', '/banks/default/statements?limit=2', {
      headers: keys.viewer,
    });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    expect(list.body.next_cursor).not.toBeNull();
    const page2 = await t.request(
      'GET',
      `/banks/default/statements?limit=2&cursor=${list.body.next_cursor as string}`,
      { headers: keys.viewer },
    );
    expect(page2.body.data[0].id).not.toBe(list.body.data[1].id);
    const [tx] = await query<{ counterparty: string }>(
      t.databaseUrl,
      `SELECT counterparty FROM transactions WHERE external_id = 'C-1'`,
    );
    expect(tx.counterparty).toBe('Crème BV');
    const viewerUpload = await t.request('POST', '/banks/default/statements', {
      headers: { ...keys.viewer, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(viewerUpload.status).toBe(403);
    expect((await t.request('GET', '/statements/nope', { headers: keys.viewer })).status).toBe(404);
    expect((await upload('x', '/banks/nobank/statements')).status).toBe(404);
  });
});

describe('bank statements: the size limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_SECRET,
      WORKER_ENABLED: 'false',
      STATEMENT_MAX_BYTES: '2048',
    });
  });
  afterAll(() => t.close());

  it('a file over STATEMENT_MAX_BYTES is a 413 and stores nothing, streamed or declared', async () => {
    const big = mt940(
      '0,00',
      '0,00',
      Array.from({ length: 200 }, () => ':61:2603010301C1,00NTRFNONREF'),
    );
    const res = await t.request('POST', '/banks/default/statements', {
      headers: { ...bearer(ADMIN_KEY), 'content-type': 'text/plain' },
      body: big,
    });
    expect(res.status).toBe(413);
    const [row] = await query<{ n: number }>(
      t.databaseUrl,
      `SELECT (SELECT count(*)::int FROM statement_files) + (SELECT count(*)::int FROM statement_entries) AS n`,
    );
    expect(row.n).toBe(0);
    // A CSV over the limit too: the 413 is not taken for a CSV syntax error.
    const mapping = await t.request('PUT', '/banks/default/csv-mapping', {
      headers: bearer(ADMIN_KEY),
      json: {
        delimiter: ';',
        decimal_separator: ',',
        encoding: 'utf-8',
        date_format: 'YYYYMMDD',
        header: false,
        skip_rows: 0,
        currency: 'EUR',
        columns: { date: 1, amount: 2 },
      },
    });
    expect(mapping.status).toBe(200);
    const csv = await t.request('POST', '/banks/default/statements?format=csv', {
      headers: { ...bearer(ADMIN_KEY), 'content-type': 'text/csv' },
      body: '20260301;1,00\n'.repeat(400),
    });
    expect(csv.status).toBe(413);
  });
});
