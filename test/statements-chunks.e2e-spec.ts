import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { mt940Statement } from './support/statement-read';
import { seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const mt940 = (opening: string, closing: string, lines: string[], day = '260401'): string =>
  mt940Statement(opening, closing, lines, day, 'CHUNKS');

/**
 * An upload's entries go through the intake a chunk at a time (STATEMENT_CHUNK_ENTRIES, 2 here,
 * so a file of a few entries spans several), in the upload's one transaction: what a file
 * becomes does not depend on where the chunks fall.
 */
describe('bank statements over several intake chunks', () => {
  let t: TestApp;
  const admin = bearer(ADMIN_KEY);
  const upload = (body: string) =>
    t.request('POST', '/banks/default/statements', {
      headers: { ...admin, 'content-type': 'text/plain' },
      body,
    });
  const counts = async () =>
    (
      await query<{ files: number; statements: number; entries: number; txs: number; out: number }>(
        t.databaseUrl,
        `SELECT (SELECT count(*)::int FROM statement_files) AS files,
                (SELECT count(*)::int FROM statements) AS statements,
                (SELECT count(*)::int FROM statement_entries) AS entries,
                (SELECT count(*)::int FROM transactions) AS txs,
                (SELECT count(*)::int FROM outbox_events) AS out`,
      )
    )[0];

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_SECRET,
      WORKER_ENABLED: 'false',
      STATEMENT_CHUNK_ENTRIES: '2',
    });
  });
  afterAll(() => t.close());

  // Entries 1-2 are chunk 1, 3-4 chunk 2, and so on.
  const lines = [
    ':61:2604010401C10,00NTRFREF//CH-1', // 1: new
    ':61:2604010401C20,00NTRFREF//CH-2', // 2: new
    ':61:2604010401C30,00NTRFREF//wh-chunk', // 3: the webhook's (bank id)
    ':61:2604010401C10,00NTRFREF//CH-1', // 4: entry 1's bank id again, a chunk later: known
    ':61:2604010401C40,00NTRFREF//CH-5', // 5: new
    ':61:2604010401C40,00NTRFREF//CH-5', // 6: entry 5's bank id in the same chunk: known
    ':61:2604010401D5,00NMSCNONREF', // 7, 8, 9: three equal card payments over two chunks
    ':61:2604010401D5,00NMSCNONREF',
    ':61:2604010401D5,00NMSCNONREF',
    ':61:2604010401C60,00NTRFNONREF', // 10: no bank id, the webhook's by the ±2 days rule
    ':86:/REMI/INV-CHUNK/',
  ];
  const file = mt940('0,00', '195,00', lines);

  it('stores a file of several chunks whole: each entry once, with what it became', async () => {
    for (const [id, amount, reference, at] of [
      ['wh-chunk', '30.00', 'WH-CHUNK', '2026-04-01T08:00:00Z'],
      ['wh-loose', '60.00', 'INV-CHUNK', '2026-04-02T08:00:00Z'],
    ] as const) {
      const res = await sendSigned(
        t,
        JSON.stringify(
          seedBody({ transaction_id: id, amount, currency: 'EUR', occurred_at: at, reference }),
        ),
        `evt-${id}`,
      );
      expect(res.status).toBe(202);
    }
    const before = await counts();
    const res = await upload(file);
    expect(res.status).toBe(201);
    expect(res.body.statements).toEqual([
      expect.objectContaining({
        entries_count: 10,
        new_count: 6,
        known_count: 4,
        balance_check: 'ok',
        opening_balance: '0.00',
        closing_balance: '195.00',
      }),
    ]);
    const detail = await t.request('GET', `/statements/${res.body.statements[0].id}`, {
      headers: admin,
    });
    const entries = detail.body.entries as Array<{
      seq: number;
      outcome: string;
      transaction_id: string;
    }>;
    expect(entries.map((e) => [e.seq, e.outcome])).toEqual([
      [1, 'new'],
      [2, 'new'],
      [3, 'known'],
      [4, 'known'],
      [5, 'new'],
      [6, 'known'],
      [7, 'new'],
      [8, 'new'],
      [9, 'new'],
      [10, 'known'],
    ]);
    const txOf = async (externalId: string): Promise<string> =>
      (
        await query<{ id: string }>(
          t.databaseUrl,
          `SELECT id FROM transactions WHERE external_id = $1`,
          [externalId],
        )
      )[0].id;
    expect(entries[2].transaction_id).toBe(await txOf('wh-chunk'));
    expect(entries[3].transaction_id).toBe(entries[0].transaction_id);
    expect(entries[5].transaction_id).toBe(entries[4].transaction_id);
    expect(new Set(entries.slice(6, 9).map((e) => e.transaction_id)).size).toBe(3);
    expect(entries[9].transaction_id).toBe(await txOf('wh-loose'));

    const after = await counts();
    expect(after.entries - before.entries).toBe(10);
    expect(after.txs - before.txs).toBe(6);
    // One transaction.received per new transaction, and the missed-webhooks event.
    const events = await query<{ type: string; n: number }>(
      t.databaseUrl,
      `SELECT type, count(*)::int AS n FROM outbox_events
        WHERE type IN ('transaction.received', 'bank.webhooks_missed')
          AND created_at >= (SELECT created_at FROM statement_files ORDER BY created_at DESC LIMIT 1)
        GROUP BY type ORDER BY type`,
    );
    expect(events).toEqual([
      { type: 'bank.webhooks_missed', n: 1 },
      { type: 'transaction.received', n: 6 },
    ]);
    const stored = await query<{ external_id: string; status: string }>(
      t.databaseUrl,
      `SELECT external_id, status FROM transactions
        WHERE source = 'statement' AND external_id LIKE 'CH-%' ORDER BY external_id`,
    );
    expect(stored).toEqual([
      { external_id: 'CH-1', status: 'PENDING' },
      { external_id: 'CH-2', status: 'PENDING' },
      { external_id: 'CH-5', status: 'PENDING' },
    ]);
  });

  it('the same bytes again answer the stored answer; an overlapping file adds nothing', async () => {
    const before = await counts();
    const again = await upload(file);
    expect(again.status).toBe(200);
    expect(await counts()).toEqual(before);
    const overlap = await upload(`${file}\r\n`);
    expect(overlap.status).toBe(201);
    expect(overlap.body.statements[0]).toMatchObject({
      entries_count: 10,
      new_count: 0,
      known_count: 10,
    });
    const after = await counts();
    expect(after.txs).toBe(before.txs);
    expect(after.entries - before.entries).toBe(10);
  });

  it('a bad entry chunks after the first stores nothing of the file', async () => {
    const before = await counts();
    const broken = mt940('0,00', '60,00', [
      ':61:2604020402C10,00NTRFREF//BAD-1',
      ':61:2604020402C10,00NTRFREF//BAD-2',
      ':61:2604020402C10,00NTRFREF//BAD-3',
      ':61:2604020402C10,00NTRFREF//BAD-4',
      ':61:2604020402C10,00NTRFREF//BAD-5',
      ':61:2604320402C10,00NTRFREF//BAD-6',
    ]);
    const res = await upload(broken);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'line 10 (:61:)', message: expect.stringMatching(/not a date/) },
    ]);
    expect(await counts()).toEqual(before);
    // The connection the refused COPY ran on is fine for the next upload.
    const fixed = await upload(broken.replace('2604320402', '2604020402'));
    expect(fixed.status).toBe(201);
    expect(fixed.body.statements[0]).toMatchObject({ new_count: 6, balance_check: 'ok' });
  });
});
