import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { query } from './support/database';
import { eventually } from './support/webhooks';

describe('suggestions, write-offs and refunds', () => {
  let t: TestApp;
  let operator: Record<string, string>;
  let viewer: Record<string, string>;
  const admin = bearer(ADMIN_KEY);

  async function tx(
    amount: string,
    fields: {
      reference?: string | null;
      counterparty?: string | null;
      account?: string | null;
      currency?: string;
      direction?: 'credit' | 'debit';
    } = {},
  ): Promise<string> {
    const [row] = await query<{ id: string }>(
      t.databaseUrl,
      `INSERT INTO transactions (bank_id, external_id, amount, currency, direction, occurred_at,
                                 reference, counterparty, counterparty_account, status,
                                 unallocated_amount, processed_at)
       VALUES ('default', $1, $2, $3, $4, now(), $5, $6, $7, 'PROCESSED', $2, now()) RETURNING id`,
      [
        `txn_${randomUUID()}`,
        amount,
        fields.currency ?? 'EUR',
        fields.direction ?? 'credit',
        fields.reference ?? null,
        fields.counterparty ?? null,
        fields.account ?? null,
      ],
    );
    return row.id;
  }
  async function invoice(number: string, amount: string, customer: string): Promise<string> {
    const res = await t.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: number, amount_due: amount, currency: 'EUR', customer },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }
  const run = () => t.request('POST', '/reconcile/run', { headers: admin });
  const suggestions = async (txId: string) =>
    t.request('GET', `/reconcile/exceptions/${txId}/suggestions`, { headers: viewer });
  const getInvoice = async (id: string) =>
    (await t.request('GET', `/invoices/${id}`, { headers: admin })).body;
  const reasonOf = async (id: string) =>
    (
      await query<{ reason: string }>(
        t.databaseUrl,
        'SELECT reason FROM transaction_exceptions WHERE transaction_id = $1',
        [id],
      )
    )[0]?.reason ?? null;
  const events = async (type: string) =>
    query<{ data: Record<string, unknown> }>(
      t.databaseUrl,
      `SELECT payload AS data FROM outbox_events WHERE type = $1 ORDER BY created_at`,
      [type],
    );

  beforeAll(async () => {
    t = await startTestApp();
    const make = async (name: string, role: string) =>
      bearer(
        (await t.request('POST', '/api-keys', { headers: admin, json: { name, role } })).body.key,
      );
    operator = await make('ops-alice', 'operator');
    viewer = await make('viewer-vic', 'viewer');
  });
  afterAll(async () => {
    await t.close();
  });

  it('applies a misread reference with the exact amount automatically, with its evidence', async () => {
    const inv = await invoice('INV-5001', '120.00', 'Acme Ltd');
    const id = await tx('120.00', { reference: 'INV-5OO1', counterparty: 'ACME Limited' });
    await run();
    const paid = await eventually(async () => {
      const i = await getInvoice(inv);
      return i.status === 'paid' ? i : undefined;
    });
    expect(paid.allocations).toHaveLength(1);
    expect(paid.allocations[0]).toMatchObject({
      transaction_id: id,
      rule: 'suggestion',
      created_by: 'system',
      amount: '120.00',
    });
    expect(paid.allocations[0].note).toMatch(
      /^suggestion [0-9a-f-]{36} \(near_reference, score 0\.9\d\d\), applied automatically$/,
    );
    expect(await reasonOf(id)).toBeNull();
  });

  it('applies one of two sure payments of the same invoice, and leaves the other to a person', async () => {
    const inv = await invoice('DUP-3001', '45.00', 'Massive Dynamic');
    const first = await tx('45.00', { reference: 'DUP-3OO1', counterparty: 'Massive Dynamic' });
    const second = await tx('45.00', { reference: 'DUP-3O01', counterparty: 'Massive Dynamic' });
    await run();
    const paid = await eventually(async () => {
      const i = await getInvoice(inv);
      return i.status === 'paid' ? i : undefined;
    });
    expect(paid.allocations).toHaveLength(1);
    const winner = paid.allocations[0].transaction_id as string;
    expect([first, second]).toContain(winner);
    const loser = winner === first ? second : first;
    // Its suggestion named an invoice that is paid now: computed again, nothing left to offer.
    await eventually(async () => {
      const [e] = await query<{ suggested_at: Date | null }>(
        t.databaseUrl,
        'SELECT suggested_at FROM transaction_exceptions WHERE transaction_id = $1',
        [loser],
      );
      return e?.suggested_at ? e : undefined;
    });
    expect(await reasonOf(loser)).toBe('unknown_invoice');
    expect((await suggestions(loser)).body.data).toEqual([]);
    expect((await getInvoice(inv)).allocations).toHaveLength(1);
  });

  it('suggests the payer’s invoice with that amount; an operator accepts it as shown', async () => {
    const inv = await invoice('GLX-77', '250.00', 'Globex GmbH');
    await invoice('GLX-78', '999.00', 'Globex GmbH');
    const id = await tx('250.00', { reference: 'thank you', counterparty: 'GLOBEX' });
    await run();
    expect(await reasonOf(id)).toBe('unknown_invoice');
    const res = await suggestions(id);
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    const [s] = res.body.data;
    expect(s).toMatchObject({
      transaction_id: id,
      kind: 'amount',
      invoices: [{ invoice_id: inv, invoice_number: 'GLX-77', amount: '250.00' }],
      write_off: null,
      reversal_of: null,
    });
    expect(s.score).toBeGreaterThan(0.5);
    expect(s.score).toBeLessThan(0.95);
    expect(Object.keys(s.evidence).sort()).toEqual([
      'amount',
      'currency',
      'date',
      'party',
      'reference',
    ]);
    expect(s.evidence.party.detail).toBe('payer "GLOBEX" is Globex GmbH');

    // A viewer sees, but cannot change anything.
    const denied = await t.request('POST', `/reconcile/suggestions/${s.id}/accept`, {
      headers: viewer,
    });
    expect(denied.status).toBe(403);

    const accepted = await t.request('POST', `/reconcile/suggestions/${s.id}/accept`, {
      headers: operator,
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body.match_ids).toHaveLength(1);
    const after = await getInvoice(inv);
    expect(after).toMatchObject({ status: 'paid', amount_paid: '250.00' });
    expect(after.allocations[0]).toMatchObject({ rule: 'suggestion', created_by: 'ops-alice' });
    expect(await reasonOf(id)).toBeNull();
    expect((await suggestions(id)).status).toBe(404);
    // Accepting twice makes nothing twice.
    const again = await t.request('POST', `/reconcile/suggestions/${s.id}/accept`, {
      headers: operator,
    });
    expect(again.status).toBe(409);
  });

  it('answers 409 when the money moved, and never suggests an invoice paid elsewhere', async () => {
    const inv = await invoice('HOO-1', '80.00', 'Hooli Inc');
    const id = await tx('80.00', { counterparty: 'Hooli' });
    await run();
    const [s] = (await suggestions(id)).body.data;
    expect(s.invoices[0].invoice_id).toBe(inv);

    // The invoice is paid by another transaction in the meantime.
    const other = await tx('80.00', { reference: 'HOO-1' });
    await run();
    expect((await getInvoice(inv)).status).toBe('paid');
    expect(await reasonOf(other)).toBeNull();

    const stale = await t.request('POST', `/reconcile/suggestions/${s.id}/accept`, {
      headers: operator,
    });
    expect(stale.status).toBe(409);
    expect(stale.body.type).toMatch(/suggestion-stale$/);
    expect((await suggestions(id)).body.data).toEqual([]);
  });

  it('keeps an exception due when a named invoice was being paid while it was computed', async () => {
    const inv = await invoice('LCK-1', '60.00', 'Initech');
    const id = await tx('60.00', { counterparty: 'Initech' });
    await run();
    expect(await reasonOf(id)).toBe('no_reference');
    // Another unit of work holds the invoice, as a ledger does while it pays it. Its own
    // "suggestions naming this invoice are due" statement cannot see suggestions not yet
    // committed, so it is left out here: the computation itself must notice.
    const other = new Client({ connectionString: t.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT id FROM invoices WHERE id = $1 FOR NO KEY UPDATE`, [inv]);
      await query(
        t.databaseUrl,
        `UPDATE transaction_exceptions SET suggested_at = NULL WHERE transaction_id = $1`,
        [id],
      );
      const shown = await suggestions(id);
      expect(shown.status).toBe(200);
      expect(shown.body.data.map((s: { kind: string }) => s.kind)).toEqual(['amount']);
      const [due] = await query<{ suggested_at: Date | null }>(
        t.databaseUrl,
        'SELECT suggested_at FROM transaction_exceptions WHERE transaction_id = $1',
        [id],
      );
      expect(due.suggested_at).toBeNull();
      await other.query(
        `UPDATE invoices SET amount_paid = amount_due, status = 'paid' WHERE id = $1`,
        [inv],
      );
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    // Computed again once the lock is gone: the paid invoice is no longer suggested.
    await eventually(async () => {
      const [e] = await query<{ suggested_at: Date | null }>(
        t.databaseUrl,
        'SELECT suggested_at FROM transaction_exceptions WHERE transaction_id = $1',
        [id],
      );
      return e.suggested_at !== null ? e : undefined;
    });
    expect((await suggestions(id)).body.data).toEqual([]);
  });

  it('never proposes a declined candidate again', async () => {
    await invoice('DEC-1', '42.00', 'Umbrella Corp');
    const id = await tx('42.00', { counterparty: 'Umbrella Corporation' });
    await run();
    const [s] = (await suggestions(id)).body.data;
    const declined = await t.request('POST', `/reconcile/suggestions/${s.id}/decline`, {
      headers: operator,
      json: { reason: 'a deposit, not this invoice' },
    });
    expect(declined.status).toBe(204);
    expect((await suggestions(id)).body.data).toEqual([]);
    await run();
    expect((await suggestions(id)).body.data).toEqual([]);
    const missing = await t.request('POST', `/reconcile/suggestions/${s.id}/decline`, {
      headers: operator,
      json: {},
    });
    expect(missing.status).toBe(400);
  });

  it('ranks the named invoice the payer paid exactly above the other it names (party by name)', async () => {
    const other = await invoice('NMD-1', '300.00', 'Tyrell Corporation');
    const meant = await invoice('NMD-2', '125.00', 'Tyrell Corporation');
    const id = await tx('125.00', { reference: 'NMD-1 NMD-2', counterparty: 'TYRELL CORP' });
    await run();
    // Two open invoices named, the amount is neither's total: the exact rules leave it.
    expect(await reasonOf(id)).toBe('ambiguous');
    const [best, second] = (await suggestions(id)).body.data;
    expect(best).toMatchObject({
      kind: 'named',
      invoices: [{ invoice_id: meant, invoice_number: 'NMD-2', amount: '125.00' }],
      write_off: null,
      reversal_of: null,
    });
    expect(best.evidence.reference).toEqual({ score: 1, detail: 'names NMD-2' });
    expect(best.evidence.amount.detail).toBe('pays the outstanding 125.00 EUR exactly');
    expect(best.evidence.party).toEqual({
      score: 1,
      detail: 'payer "TYRELL CORP" is Tyrell Corporation',
    });
    expect(second).toMatchObject({
      kind: 'named',
      invoices: [{ invoice_id: other, invoice_number: 'NMD-1', amount: '125.00' }],
    });
    expect(second.evidence.amount.detail).toBe('pays 125.00 of the outstanding 300.00 EUR');
    expect(second.score).toBeLessThan(best.score);
    // A close second (above 0.5): the system leaves the choice to a person.
    expect(second.score).toBeGreaterThan(0.5);
    await new Promise((r) => setTimeout(r, 300));
    expect((await getInvoice(meant)).status).toBe('pending');

    const accepted = await t.request('POST', `/reconcile/suggestions/${best.id}/accept`, {
      headers: operator,
    });
    expect(accepted.status).toBe(200);
    expect(await getInvoice(meant)).toMatchObject({ status: 'paid', amount_paid: '125.00' });
    expect(await getInvoice(other)).toMatchObject({ status: 'pending', amount_paid: '0.00' });
    expect(await reasonOf(id)).toBeNull();
  });

  it('pays a near reference short by a bank fee with a write-off, as accepted', async () => {
    const rule = await t.request('POST', '/reconcile/write-off-rules', {
      headers: operator,
      json: { name: 'Small fees', currency: 'EUR', max_amount: '3.00', reason: 'bank_fee' },
    });
    expect(rule.status).toBe(201);
    const inv = await invoice('NRW-4821', '200.00', 'Oscorp');
    // Two digits swapped, 2.00 short, no payer name: a suggestion, not sure enough to apply.
    const id = await tx('198.00', { reference: 'NRW-4812' });
    await run();
    expect(await reasonOf(id)).toBe('unknown_invoice');
    const [s] = (await suggestions(id)).body.data;
    expect(s).toMatchObject({
      kind: 'near_reference',
      invoices: [{ invoice_id: inv, invoice_number: 'NRW-4821', amount: '198.00' }],
      write_off: { amount: '2.00', reason: 'bank_fee' },
      reversal_of: null,
    });
    expect(s.evidence.reference.detail).toBe('"nrw4812" is one slip from NRW-4821');
    expect(s.evidence.amount.detail).toBe(
      'short of the outstanding 200.00 by 2.00 EUR, within write-off rule "Small fees" (bank_fee)',
    );
    expect(s.score).toBeGreaterThan(0.5);
    expect(s.score).toBeLessThan(0.95);

    const accepted = await t.request('POST', `/reconcile/suggestions/${s.id}/accept`, {
      headers: operator,
    });
    expect(accepted.status).toBe(200);
    const paid = await getInvoice(inv);
    expect(paid).toMatchObject({
      status: 'paid',
      amount_paid: '198.00',
      amount_written_off: '2.00',
      amount_outstanding: '0.00',
    });
    expect(paid.allocations).toHaveLength(1);
    expect(paid.allocations[0]).toMatchObject({
      transaction_id: id,
      rule: 'suggestion',
      created_by: 'ops-alice',
    });
    const [w] = await query<{ match_id: string; rule_id: string; amount: string }>(
      t.databaseUrl,
      `SELECT match_id, rule_id, amount::text FROM write_offs WHERE invoice_id = $1`,
      [inv],
    );
    expect(w).toMatchObject({
      match_id: paid.allocations[0].id,
      rule_id: rule.body.id,
      amount: '2.0000',
    });
    const written = await events('invoice.written_off');
    expect(written.map((e) => e.data)).toContainEqual(
      expect.objectContaining({ invoice_id: inv, amount: '2.00', reason: 'bank_fee' }),
    );

    // Reversing the allocation reverses its write-off.
    const reversed = await t.request('DELETE', `/reconcile/matches/${paid.allocations[0].id}`, {
      headers: operator,
      json: { reason: 'not this invoice' },
    });
    expect(reversed.status).toBe(200);
    expect(await getInvoice(inv)).toMatchObject({
      status: 'pending',
      amount_written_off: '0.00',
      amount_outstanding: '200.00',
    });
    // Both in the audit log under the person who accepted and reversed, not the rule's
    // "system": a write-off a person applied is that person's.
    const trail = await t.request('GET', '/audit?entity=write_off&limit=100', { headers: viewer });
    expect(trail.status).toBe(200);
    const mine = (
      trail.body.data as Array<{ action: string; actor: string; data: { allocation_id: string } }>
    ).filter((e) => e.data.allocation_id === paid.allocations[0].id);
    expect(mine.map((e) => [e.action, e.actor]).sort()).toEqual([
      ['write_off.created', 'ops-alice'],
      ['write_off.reversed', 'ops-alice'],
    ]);
    await t.request('DELETE', `/reconcile/write-off-rules/${rule.body.id}`, { headers: operator });
  });

  it('learns the account of a confirmed payment, and knows the payer by it later', async () => {
    const accounts = async () =>
      query<{ customer_key: string; account: string }>(
        t.databaseUrl,
        `SELECT customer_key, account FROM party_accounts WHERE customer_key = 'cogswell cogs'`,
      );
    await invoice('CSW-1', '10.00', 'Cogswell Cogs');
    await tx('10.00', { reference: 'CSW-1' }); // no account: nothing to learn
    await run();
    expect(await accounts()).toEqual([]);
    await invoice('CSW-2', '20.00', 'Cogswell Cogs');
    await tx('20.00', { reference: 'CSW-2', account: 'DE44500105175407324931' }); // stored compact by the intake
    await run();
    expect(await accounts()).toEqual([
      { customer_key: 'cogswell cogs', account: 'DE44500105175407324931' },
    ]);
    const inv = await invoice('CSW-3', '35.00', 'Cogswell Cogs');
    const id = await tx('35.00', { account: 'DE44500105175407324931', counterparty: 'G. Jetson' });
    await run();
    const [s] = (await suggestions(id)).body.data;
    expect(s).toMatchObject({ kind: 'amount', invoices: [{ invoice_id: inv }] });
    expect(s.evidence.party).toEqual({
      score: 1,
      detail: 'account …4931 paid Cogswell Cogs before',
    });
  });

  it('learns an account spelled with dots (a CSV statement) in the form it is looked up by', async () => {
    await invoice('SPL-1', '40.00', 'Spacely Sprockets');
    await tx('40.00', { reference: 'SPL-1', account: '12.34.56.789' });
    await run();
    expect(
      await query(
        t.databaseUrl,
        `SELECT account FROM party_accounts WHERE customer_key = 'spacely sprockets'`,
      ),
    ).toEqual([{ account: '123456789' }]);
    const inv = await invoice('SPL-2', '45.00', 'Spacely Sprockets');
    const id = await tx('45.00', { account: '123 456 789', counterparty: 'S. Spacely' });
    await run();
    const [s] = (await suggestions(id)).body.data;
    expect(s).toMatchObject({ kind: 'amount', invoices: [{ invoice_id: inv }] });
    expect(s.evidence.party).toEqual({
      score: 1,
      detail: 'account …6789 paid Spacely Sprockets before',
    });
  });

  it('finds one transfer paying several invoices of one customer', async () => {
    const ids = [
      await invoice('INI-1', '100.00', 'Initech'),
      await invoice('INI-2', '150.00', 'Initech'),
      await invoice('INI-3', '200.00', 'Initech'),
    ];
    await invoice('INI-4', '75.00', 'Initech');
    const id = await tx('450.00', { counterparty: 'INITECH LTD' });
    await run();
    const [s] = (await suggestions(id)).body.data;
    expect(s.kind).toBe('split');
    expect(s.invoices.map((i: { invoice_id: string }) => i.invoice_id).sort()).toEqual(
      [...ids].sort(),
    );
    const accepted = await t.request('POST', `/reconcile/suggestions/${s.id}/accept`, {
      headers: operator,
    });
    expect(accepted.body.match_ids).toHaveLength(3);
    for (const inv of ids) expect((await getInvoice(inv)).status).toBe('paid');
  });

  it('writes off a bank fee under a rule, and reverses it with the allocation', async () => {
    const rule = await t.request('POST', '/reconcile/write-off-rules', {
      headers: operator,
      json: { name: 'Bank fees', currency: 'EUR', max_amount: '5.00', reason: 'bank_fee' },
    });
    expect(rule.status).toBe(201);
    expect(rule.body).toMatchObject({ max_amount: '5.00', max_percent: null, reason: 'bank_fee' });
    const inv = await invoice('WO-1', '100.00', 'Stark Industries');
    const id = await tx('97.50', { reference: 'WO-1' });
    await run();
    const paid = await getInvoice(inv);
    expect(paid).toMatchObject({
      status: 'paid',
      amount_paid: '97.50',
      amount_written_off: '2.50',
      amount_outstanding: '0.00',
    });
    expect(paid.allocations[0]).toMatchObject({ rule: 'write_off', transaction_id: id });
    const written = await events('invoice.written_off');
    expect(written.map((e) => e.data)).toContainEqual(
      expect.objectContaining({ invoice_id: inv, amount: '2.50', reason: 'bank_fee' }),
    );

    const reversed = await t.request('DELETE', `/reconcile/matches/${paid.allocations[0].id}`, {
      headers: operator,
      json: { reason: 'wrong customer' },
    });
    expect(reversed.status).toBe(200);
    expect(await getInvoice(inv)).toMatchObject({
      status: 'pending',
      amount_paid: '0.00',
      amount_written_off: '0.00',
      amount_outstanding: '100.00',
    });
    const [w] = await query<{ reversed_at: Date | null }>(
      t.databaseUrl,
      `SELECT reversed_at FROM write_offs WHERE invoice_id = $1`,
      [inv],
    );
    expect(w.reversed_at).not.toBeNull();

    const list = await t.request('GET', '/reconcile/write-off-rules', { headers: viewer });
    expect(list.body.data.map((r: { id: string }) => r.id)).toContain(rule.body.id);
    const gone = await t.request('DELETE', `/reconcile/write-off-rules/${rule.body.id}`, {
      headers: operator,
    });
    expect(gone.status).toBe(204);
    const twice = await t.request('DELETE', `/reconcile/write-off-rules/${rule.body.id}`, {
      headers: operator,
    });
    expect(twice.status).toBe(404);
    const bad = await t.request('POST', '/reconcile/write-off-rules', {
      headers: operator,
      json: { name: 'x', currency: 'EUR', max_amount: '5.001', reason: 'bank_fee' },
    });
    expect(bad.status).toBe(400);
  });

  it('turns a debit naming a paid invoice into a refund exception whose suggestion is the reversal', async () => {
    const inv = await invoice('RF-1', '60.00', 'Wayne Enterprises');
    const credit = await tx('60.00', { reference: 'RF-1' });
    await run();
    const [allocation] = (await getInvoice(inv)).allocations;
    expect(allocation.transaction_id).toBe(credit);

    const debit = await tx('60.00', { reference: 'Refund RF-1', direction: 'debit' });
    await run();
    expect(await reasonOf(debit)).toBe('refund');
    const [s] = (await suggestions(debit)).body.data;
    expect(s).toMatchObject({ kind: 'refund', reversal_of: allocation.id });
    expect(s.score).toBeGreaterThanOrEqual(0.95);
    // Never applied by the system, however sure.
    await new Promise((r) => setTimeout(r, 300));
    expect((await getInvoice(inv)).status).toBe('paid');

    const accepted = await t.request('POST', `/reconcile/suggestions/${s.id}/accept`, {
      headers: operator,
    });
    expect(accepted.status).toBe(200);
    const after = await getInvoice(inv);
    expect(after.status).toBe('pending');
    expect(after.allocations[0]).toMatchObject({
      live: false,
      reversed_by: 'ops-alice',
      reversal_reason: `refunded by transaction ${debit}`,
    });
    expect(await reasonOf(debit)).toBeNull();
  });

  it('announces a new best suggestion as reconciliation.suggested', async () => {
    await invoice('EVT-9', '33.00', 'Soylent');
    const id = await tx('33.00', { counterparty: 'Soylent' });
    await run();
    await suggestions(id);
    const found = await eventually(async () => {
      const all = await events('reconciliation.suggested');
      return all.find((e) => e.data.transaction_id === id);
    });
    expect(found.data).toMatchObject({ reason: 'no_reference', kind: 'amount' });
  });

  it('does not pay the invoice a typo landed on when its neighbour has the exact amount', async () => {
    const named = await invoice('TYP-2001', '100.00', 'Cyberdyne Systems');
    const meant = await invoice('TYP-2010', '250.00', 'Cyberdyne Systems');
    const id = await tx('250.00', { reference: 'TYP-2001' });
    await run();
    expect(await reasonOf(id)).toBe('ambiguous');
    expect((await getInvoice(named)).status).toBe('pending');
    const [best] = (await suggestions(id)).body.data;
    expect(best.invoices[0].invoice_id).toBe(meant);
    expect(best.kind).toBe('near_reference');
  });

  it('finds an invoice entered after the payment at the next run', async () => {
    const id = await tx('77.00', { counterparty: 'Latecomer Logistics' });
    await run();
    expect((await suggestions(id)).body.data).toEqual([]);
    const inv = await invoice('LATE-1', '77.00', 'Latecomer Logistics Ltd');
    await run();
    const [s] = (await suggestions(id)).body.data;
    expect(s).toMatchObject({ kind: 'amount', invoices: [{ invoice_id: inv }] });
  });
});
