import canonicalize from 'canonicalize';
import { createHash, randomUUID } from 'node:crypto';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { dutchCsvMapping } from './support/statement-read';
import { eventually } from './support/webhooks';

interface Entry {
  id: string;
  seq: number | null;
  at: string;
  actor: string;
  actor_key_id: string | null;
  action: string;
  entity: string;
  entity_id: string;
  data: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
}

/** The chain as the contract and the OpenAPI document define it, recomputed independently. */
function recompute(prev: string, e: Entry): string {
  const { id, seq, at, actor, actor_key_id, action, entity, entity_id, data } = e;
  const text = canonicalize({ id, seq, at, actor, actor_key_id, action, entity, entity_id, data });
  return createHash('sha256').update(`${prev}${text}`).digest('hex');
}

describe('audit log', () => {
  let t: TestApp;
  let operator: Record<string, string>;
  let operatorKeyId: string;
  let viewer: Record<string, string>;
  const admin = bearer(ADMIN_KEY);

  async function tx(
    amount: string,
    reference: string | null,
    fields: { currency?: string; counterparty?: string } = {},
  ): Promise<string> {
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, occurred_at, reference,
                                 counterparty, status, unallocated_amount, processed_at)
       VALUES ('default', $1, $2, $3, now(), $4, $5, 'PROCESSED', $2, now()) RETURNING id`,
      [`txn_${randomUUID()}`, amount, fields.currency ?? 'NGN', reference, fields.counterparty],
    );
    return row.id;
  }
  async function invoice(number: string, amount: string, customer?: string): Promise<string> {
    const res = await t.request('POST', '/invoices', {
      headers: operator,
      json: { invoice_number: number, amount_due: amount, currency: 'NGN', customer },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }
  const run = () => t.request('POST', '/reconcile/run', { headers: admin });
  async function all(params = ''): Promise<Entry[]> {
    const out: Entry[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `limit=7${params}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.request('GET', `/audit?${qs}`, { headers: viewer });
      expect(res.status).toBe(200);
      out.push(...res.body.data);
      cursor = res.body.next_cursor;
    } while (cursor);
    return out;
  }
  const verify = async () => {
    const res = await t.request('GET', '/audit/verify', { headers: viewer });
    expect(res.status).toBe(200);
    return res.body as { ok: boolean; entries: number; first_bad_seq: number | null };
  };
  const of = (entries: Entry[], action: string) => entries.filter((e) => e.action === action);

  beforeAll(async () => {
    t = await startTestApp({ ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true' });
    const make = async (name: string, role: string) =>
      (await t.request('POST', '/api-keys', { headers: admin, json: { name, role } })).body;
    const op = await make('ops-alice', 'operator');
    operator = bearer(op.key);
    operatorKeyId = op.id;
    viewer = bearer((await make('viewer-vic', 'viewer')).key);
  });
  afterAll(async () => {
    await t.close();
  });

  it('records every change to money and access, with who, and chains them', async () => {
    // Money: an invoice paid by the rules (system), one allocated by hand and reversed.
    const paid = await invoice('AUD-1', '100.00', 'Acme Ltd');
    const auto = await tx('100.00', 'AUD-1');
    const byHand = await invoice('AUD-2', '50.00');
    const loose = await tx('50.00', 'no number');
    await run();
    const match = await t.request('POST', '/reconcile/matches', {
      headers: operator,
      json: { transaction_id: loose, invoice_id: byHand, note: 'confirmed by phone' },
    });
    expect(match.status).toBe(201);
    const reversed = await t.request('DELETE', `/reconcile/matches/${match.body.id}`, {
      headers: operator,
      json: { reason: '=HYPERLINK("x") wrong customer' },
    });
    expect(reversed.status).toBe(200);
    const cancelled = await t.request('POST', `/invoices/${byHand}/cancel`, {
      headers: operator,
    });
    expect(cancelled.status).toBe(200);

    // A write-off by a rule, a suggestion declined and one accepted.
    const rule = await t.request('POST', '/reconcile/write-off-rules', {
      headers: operator,
      json: { name: 'fees', currency: 'NGN', max_amount: '5.00', reason: 'bank_fee' },
    });
    expect(rule.status).toBe(201);
    const short = await invoice('AUD-3', '200.00');
    await tx('197.50', 'AUD-3');
    await invoice('AUD-4', '77.00', 'Globex GmbH');
    const guess = await tx('77.00', 'thanks', { counterparty: 'GLOBEX' });
    await invoice('AUD-5', '66.00', 'Umbrella Corp');
    const other = await tx('66.00', 'thanks', { counterparty: 'Umbrella Corporation' });
    await run();
    const suggestionOf = async (id: string) =>
      (await t.request('GET', `/reconcile/exceptions/${id}/suggestions`, { headers: viewer })).body
        .data[0];
    const toAccept = await suggestionOf(guess);
    const toDecline = await suggestionOf(other);
    expect(
      (
        await t.request('POST', `/reconcile/suggestions/${toAccept.id}/accept`, {
          headers: operator,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await t.request('POST', `/reconcile/suggestions/${toDecline.id}/decline`, {
          headers: operator,
          json: { reason: 'a deposit' },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await t.request('DELETE', `/reconcile/write-off-rules/${rule.body.id}`, {
          headers: operator,
        })
      ).status,
    ).toBe(204);

    // Access: a bank created and changed, a key revoked, a subscription's life.
    const bank = await t.request('POST', '/banks', {
      headers: admin,
      json: {
        id: 'aud-bank',
        name: 'Audit Bank',
        signature_scheme: 'hmac-sha256',
        secrets: ['first-secret-value'],
        api: { kind: 'standard', base_url: 'https://api.aud.example', token: 'tok-secret-1' },
      },
    });
    expect(bank.status).toBe(201);
    expect(
      (
        await t.request('PATCH', '/banks/aud-bank', {
          headers: admin,
          json: { name: 'Audit Bank plc', secrets: ['second-secret-value'] },
        })
      ).status,
    ).toBe(200);
    const temp = await t.request('POST', '/api-keys', {
      headers: admin,
      json: { name: 'temp', role: 'viewer' },
    });
    expect(
      (await t.request('DELETE', `/api-keys/${temp.body.id}`, { headers: admin })).status,
    ).toBe(204);
    const sub = await t.request('POST', '/subscriptions', {
      headers: admin,
      json: { url: 'http://127.0.0.1:9/in', events: ['invoice.paid'] },
    });
    expect(sub.status).toBe(201);
    const subId = sub.body.id;
    await t.request('PATCH', `/subscriptions/${subId}`, {
      headers: admin,
      json: { enabled: false },
    });
    await t.request('POST', `/subscriptions/${subId}/rotate-secret`, { headers: admin, json: {} });
    await t.request('DELETE', `/subscriptions/${subId}`, { headers: admin });
    // A CSV mapping decides which column is money: saved, then replaced.
    for (const amount of ['Bedrag', 'Betrag']) {
      const put = await t.request('PUT', '/banks/default/csv-mapping', {
        headers: operator,
        json: dutchCsvMapping({ amount }),
      });
      expect(put.status).toBe(200);
    }

    const entries = await all();
    const actions = new Set(entries.map((e) => e.action));
    for (const action of [
      'invoice.created',
      'invoice.cancelled',
      'allocation.created',
      'allocation.reversed',
      'write_off.created',
      'write_off_rule.created',
      'write_off_rule.deleted',
      'suggestion.accepted',
      'suggestion.declined',
      'bank.created',
      'bank.updated',
      'bank.csv_mapping_saved',
      'api_key.created',
      'api_key.revoked',
      'subscription.created',
      'subscription.updated',
      'subscription.secret_rotated',
      'subscription.deleted',
    ]) {
      expect(actions).toContain(action);
    }

    // The rules' allocation is the system's, with its rule; the person's is theirs.
    const [ruleMade] = of(entries, 'allocation.created').filter(
      (e) => e.data.transaction_id === auto,
    );
    expect(ruleMade).toMatchObject({
      actor: 'system',
      actor_key_id: null,
      entity: 'allocation',
      data: { invoice_id: paid, amount: '100.00', currency: 'NGN', rule: 'single' },
    });
    expect(ruleMade.data.run_id).toEqual(expect.any(String));
    // Written from the allocation's own row (one statement with it): exactly these fields.
    expect(Object.keys(ruleMade.data).sort()).toEqual(
      ['amount', 'currency', 'invoice_id', 'note', 'rule', 'run_id', 'transaction_id'].sort(),
    );
    expect(ruleMade.data.note).toBeNull();
    const [manual] = of(entries, 'allocation.created').filter((e) => e.data.rule === 'manual');
    expect(manual).toMatchObject({
      actor: 'ops-alice',
      actor_key_id: operatorKeyId,
      entity_id: match.body.id,
      data: { note: 'confirmed by phone', amount: '50.00' },
    });
    expect(of(entries, 'allocation.reversed')[0]).toMatchObject({
      actor: 'ops-alice',
      entity_id: match.body.id,
      data: { reason: '=HYPERLINK("x") wrong customer', amount: '50.00' },
    });
    const [accepted] = of(entries, 'allocation.created').filter(
      (e) => e.data.transaction_id === guess,
    );
    expect(accepted).toMatchObject({
      actor: 'ops-alice',
      data: { rule: 'suggestion', suggestion_id: toAccept.id, automatic: false },
    });
    expect(accepted.data.score).toMatch(/^0\.\d{3}$/);
    expect(of(entries, 'write_off.created')[0]).toMatchObject({
      actor: 'system',
      data: { invoice_id: short, amount: '2.50', reason: 'bank_fee' },
    });
    expect(of(entries, 'suggestion.declined')[0]).toMatchObject({
      actor: 'ops-alice',
      entity_id: toDecline.id,
      data: { reason: 'a deposit' },
    });
    expect(of(entries, 'api_key.created').map((e) => e.data.name)).toEqual(
      expect.arrayContaining(['ops-alice', 'viewer-vic', 'temp']),
    );
    expect(of(entries, 'api_key.revoked')[0]).toMatchObject({
      actor: 'ADMIN_API_KEY',
      entity_id: temp.body.id,
    });
    expect(of(entries, 'bank.updated')[0].data).toEqual({
      name: 'Audit Bank plc',
      secrets_count: 1,
    });

    const mappings = of(entries, 'bank.csv_mapping_saved');
    expect(mappings.map((e) => [e.actor, e.entity, e.entity_id])).toEqual([
      ['ops-alice', 'bank', 'default'],
      ['ops-alice', 'bank', 'default'],
    ]);
    expect(mappings[0].data.previous).toBeNull();
    expect(mappings[0].data.mapping).toMatchObject({ columns: { amount: 'Bedrag' } });
    expect(mappings[1].data).toMatchObject({
      mapping: { columns: { amount: 'Betrag' } },
      previous: { columns: { amount: 'Bedrag' } },
    });

    // No secret, token or key is ever in the trail.
    const text = JSON.stringify(entries);
    for (const secret of [
      'first-secret-value',
      'second-secret-value',
      'tok-secret-1',
      temp.body.key,
      sub.body.secret,
    ]) {
      expect(text).not.toContain(secret);
    }

    // A chain: seq 1..n, each hash over the previous one and the entry's canonical JSON.
    const chained = [...entries].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    let prev = '0'.repeat(64);
    chained.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      expect(e.prev_hash).toBe(prev);
      expect(e.hash).toBe(recompute(prev, e));
      prev = e.hash as string;
    });
    expect(await verify()).toEqual({ ok: true, entries: entries.length, first_bad_seq: null });
  });

  it('filters by entity, entity_id, actor, action and time, and pages without gaps', async () => {
    const every = await all();
    const pairs = every.map((e) => e.id);
    expect(new Set(pairs).size).toBe(pairs.length);
    const byAlice = await all('&actor=ops-alice');
    expect(byAlice.length).toBeGreaterThan(0);
    expect(byAlice.every((e) => e.actor === 'ops-alice')).toBe(true);
    expect(byAlice).toHaveLength(every.filter((e) => e.actor === 'ops-alice').length);
    const banks = await all('&entity=bank&entity_id=aud-bank');
    expect(banks.map((e) => e.action)).toEqual(['bank.created', 'bank.updated']);
    const reversals = await all('&action=allocation.reversed');
    expect(reversals).toHaveLength(1);
    const last = every[every.length - 1].at;
    const late = await all(`&from=${encodeURIComponent(last)}`);
    expect(late.every((e) => e.at >= last)).toBe(true);
    expect(await all(`&to=${encodeURIComponent(every[0].at)}`)).toEqual([]);
    const bad = await t.request('GET', '/audit?action=allocation.deleted', { headers: viewer });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    const badTime = await t.request('GET', '/audit?from=2026-01-01T10', { headers: viewer });
    expect(badTime.status).toBe(400);
    expect((await t.request('GET', '/audit')).status).toBe(401);
  });

  it('refuses UPDATE, DELETE and TRUNCATE from the service role', async () => {
    for (const sql of [
      `UPDATE audit_log SET actor = 'mallory'`,
      `DELETE FROM audit_log`,
      `TRUNCATE audit_log`,
      `UPDATE audit_chain SET hash = 'x'`,
      `DELETE FROM audit_chain`,
      `TRUNCATE audit_chain`,
    ]) {
      await expect(query(t.databaseUrl, sql)).rejects.toThrow(/append-only/);
    }
    expect((await verify()).ok).toBe(true);
  });

  it('chains concurrent writers into one total order', async () => {
    const before = (await verify()).entries;
    await Promise.all(Array.from({ length: 30 }, (_, i) => invoice(`CON-${i}`, '10.00')));
    const result = await verify();
    expect(result).toEqual({ ok: true, entries: before + 30, first_bad_seq: null });
  });

  it('names the first entry edited or deleted behind the trigger (as a superuser can)', async () => {
    const { entries } = await verify();
    const target = Math.ceil(entries / 2);
    const tamper = async (sql: string) =>
      query(
        t.databaseUrl,
        `DO $$ BEGIN SET LOCAL session_replication_role = replica; ${sql}; END $$`,
      );
    // One entry's data changed in place, its hash left as it was.
    const [row] = await query<{ pos: string }>(
      t.databaseUrl,
      `SELECT pos FROM audit_chain WHERE seq = $1`,
      [target],
    );
    await tamper(`UPDATE audit_log SET data = data || '{"tampered": true}' WHERE pos = ${row.pos}`);
    expect(await verify()).toEqual({ ok: false, entries, first_bad_seq: target });

    // Undone, the chain checks again; an entry deleted is named too.
    await tamper(`UPDATE audit_log SET data = data - 'tampered' WHERE pos = ${row.pos}`);
    expect((await verify()).ok).toBe(true);
    const [earlier] = await query<{ pos: string }>(
      t.databaseUrl,
      `SELECT pos FROM audit_chain WHERE seq = 3`,
    );
    await tamper(`DELETE FROM audit_log WHERE pos = ${earlier.pos}`);
    expect(await verify()).toMatchObject({ ok: false, first_bad_seq: 3 });
    // A chain row removed to hide it leaves a gap that names the same seq.
    await tamper(`DELETE FROM audit_chain WHERE seq = 3`);
    expect(await verify()).toMatchObject({ ok: false, first_bad_seq: 3 });
  });

  it('links entries without a request to the list, in the background', async () => {
    const id = await invoice('BG-1', '1.00');
    const [entry] = await eventually(async () => {
      const rows = await query<{ seq: string }>(
        t.databaseUrl,
        `SELECT c.seq FROM audit_log a JOIN audit_chain c ON c.pos = a.pos
          WHERE a.entity = 'invoice' AND a.entity_id = $1`,
        [id],
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(Number(entry.seq)).toBeGreaterThan(0);
  });
});
