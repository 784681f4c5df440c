import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { startFakeBank, type FakeBank } from './support/fake-bank';
import { operations, pointerSegment, schemaValidator, type OpenApiDoc } from './support/openapi';
import { startReceiver, type Receiver } from './support/receiver';
import { eventually, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const admin = bearer(ADMIN_KEY);

/** What the data set below made, for the detail routes' ids. */
interface Made {
  invoiceId: string;
  transactionId: string;
  /** An exception with suggestions. */
  exceptionId: string;
  runId: string;
  subscriptionId: string;
  webhookEventId: string;
  statementId: string;
}

/**
 * Every GET route of the document, with the concrete paths to call (list routes must answer a
 * non-empty list). A new route is one line here; a route missing here fails the first test.
 */
const GET_ROUTES: Record<string, (m: Made) => string[]> = {
  '/health': () => ['/health'],
  '/health/ready': () => ['/health/ready'],
  '/api-keys': () => ['/api-keys'],
  '/api-keys/me': () => ['/api-keys/me'],
  '/banks': () => ['/banks'],
  // `default` has no pull API (`api: null`), `acme` has one.
  '/banks/{id}': () => ['/banks/default', '/banks/acme'],
  '/transactions': () => ['/transactions'],
  '/transactions/{id}': (m) => [`/transactions/${m.transactionId}`],
  '/transactions/{id}/allocations': (m) => [`/transactions/${m.transactionId}/allocations`],
  '/subscriptions': () => ['/subscriptions'],
  '/subscriptions/{id}': (m) => [`/subscriptions/${m.subscriptionId}`],
  '/subscriptions/{id}/deliveries': (m) => [`/subscriptions/${m.subscriptionId}/deliveries`],
  '/invoices': () => ['/invoices'],
  '/invoices/{id}': (m) => [`/invoices/${m.invoiceId}`],
  '/reconcile/runs': () => ['/reconcile/runs'],
  '/reconcile/runs/{id}': (m) => [`/reconcile/runs/${m.runId}`],
  '/reconcile/runs/{id}/matches': (m) => [`/reconcile/runs/${m.runId}/matches`],
  '/reconcile/exceptions': () => ['/reconcile/exceptions'],
  '/reconcile/exceptions/{transaction_id}/suggestions': (m) => [
    `/reconcile/exceptions/${m.exceptionId}/suggestions`,
  ],
  '/reconcile/write-off-rules': () => ['/reconcile/write-off-rules'],
  '/stats': () => ['/stats'],
  '/webhook-events': () => ['/webhook-events'],
  '/webhook-events/{id}': (m) => [`/webhook-events/${m.webhookEventId}`],
  '/audit': () => ['/audit', '/audit?entity=invoice'],
  '/audit/verify': () => ['/audit/verify'],
  '/banks/{id}/statements': () => ['/banks/default/statements'],
  '/banks/{id}/coverage': () => ['/banks/default/coverage?from=2026-03-01&to=2026-03-02'],
  '/statements/{id}': (m) => [`/statements/${m.statementId}`],
};

/** GET routes whose answer is not JSON, and what checks them instead. */
const NOT_JSON: Record<string, string> = {
  '/metrics': 'Prometheus text format, not JSON (checked by the metrics tests)',
  '/audit/export': 'CSV or JSON lines (checked by the exports tests)',
  '/invoices/export': 'CSV or JSON lines (checked by the exports tests)',
  '/reconcile/matches/export': 'CSV or JSON lines (checked by the exports tests)',
  '/reconcile/exceptions/export': 'CSV or JSON lines (checked by the exports tests)',
};

describe('real responses against the OpenAPI document (Ajv)', () => {
  let t: TestApp;
  let doc: OpenApiDoc;
  let bank: FakeBank;
  let receiver: Receiver;
  let made: Made;

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_SECRET,
      ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true',
      EVENTS_RETRY_BASE_MS: '50',
      // The exception with a candidate must stay one.
      AUTO_MATCH_THRESHOLD: 'off',
    });
    doc = (await t.request('GET', '/docs-json')).body as OpenApiDoc;
    bank = await startFakeBank((_req, url) =>
      url.pathname === '/transactions' ? { json: { data: [], next_cursor: null } } : undefined,
    );
    receiver = await startReceiver();
    made = await makeData(t, bank, receiver);
  }, 60_000);
  afterAll(async () => {
    await t.close();
    await bank.close();
    await receiver.close();
  });

  it('covers every GET route of the document', () => {
    const gets = operations(doc)
      .filter(({ method }) => method === 'get')
      .map(({ path }) => path);
    expect(gets.filter((p) => !(p in GET_ROUTES) && !(p in NOT_JSON))).toEqual([]);
    expect(Object.keys(GET_ROUTES).filter((p) => !gets.includes(p))).toEqual([]);
  });

  it('answers every list and detail route with a body its own 200 schema accepts', async () => {
    const validate = schemaValidator(doc);
    const wrong: Array<{ path: string; errors: string[] }> = [];
    for (const [route, paths] of Object.entries(GET_ROUTES)) {
      const pointer =
        `/paths/${pointerSegment(route)}/get/responses/200/content/` +
        `${pointerSegment('application/json')}/schema`;
      for (const path of paths(made)) {
        const res = await t.request('GET', path, { headers: admin });
        expect([path, res.status]).toEqual([path, 200]);
        // A list answered empty would prove nothing about its items.
        if (Array.isArray(res.body?.data))
          expect([path, res.body.data.length > 0]).toEqual([path, true]);
        const errors = validate(pointer, res.body);
        if (errors.length > 0) wrong.push({ path, errors });
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** Banks with and without an API, invoices, transactions, a run with matches, exceptions,
 * a subscription with deliveries, a second key. */
async function makeData(t: TestApp, bank: FakeBank, receiver: Receiver): Promise<Made> {
  const post = async (path: string, json: unknown, status = 201) => {
    const res = await t.request('POST', path, { headers: admin, json });
    expect([path, res.status]).toEqual([path, status]);
    return res.body;
  };
  await post('/banks', {
    id: 'acme',
    name: 'Acme Bank',
    signature_scheme: 'hmac-sha256',
    secrets: ['acme-secret-123'],
    api: { kind: 'standard', base_url: bank.url, token: 'acme-token' },
  });
  await post('/api-keys', { name: 'viewer', role: 'viewer' });
  const sub = await post('/subscriptions', {
    url: receiver.url,
    events: ['transaction.received'],
  });
  receiver.secrets.push(sub.secret);

  // Paid by a run: the transaction comes before its invoice, so processing leaves it an
  // exception (unknown_invoice) and the run below matches it.
  const paying = await sendSigned(
    t,
    JSON.stringify(seedBody({ transaction_id: 'oa_1', reference: 'INV-OA1' })),
    'oa_evt_1',
  );
  expect(paying.status).toBe(202);
  const noReference = await sendSigned(
    t,
    JSON.stringify(seedBody({ transaction_id: 'oa_2', reference: undefined, description: 'x' })),
    'oa_evt_2',
  );
  expect(noReference.status).toBe(202);
  const [payingId, noReferenceId] = await Promise.all(
    ['oa_1', 'oa_2'].map((external) =>
      eventually(async () => {
        const res = await t.request('GET', `/transactions?external_id=${external}`, {
          headers: admin,
        });
        const tx = res.body.data[0] as { id: string; status: string } | undefined;
        return tx?.status === 'PROCESSED' ? tx.id : undefined;
      }),
    ),
  );
  const invoice = await post('/invoices', {
    invoice_number: 'INV-OA1',
    amount_due: '5000.00',
    currency: 'NGN',
    customer: 'Acme Ltd',
  });
  // The no-reference payment's candidate: the same amount, owed by the same party.
  await post('/invoices', {
    invoice_number: 'INV-OA2',
    amount_due: '5000.00',
    currency: 'NGN',
    customer: 'Acme Ltd',
  });
  await post('/reconcile/write-off-rules', {
    name: 'Bank fees up to 5 NGN',
    currency: 'NGN',
    max_amount: '5.00',
    reason: 'bank_fee',
  });
  const run = await post('/reconcile/run', {}, 200);
  expect(run.matched_count).toBeGreaterThan(0);
  await eventually(
    async () => (receiver.received.length > 0 ? true : undefined),
    10_000,
    'an outbound delivery',
  );
  const events = await t.request('GET', '/webhook-events?limit=1', { headers: admin });
  // A statement with a gap before it and one whose balances do not add up: every nullable
  // field of the answer both ways.
  const statement = (opening: string, closing: string, day: string) =>
    [
      ':20:S',
      ':25:DE89370400440532013000',
      `:60F:C${day}EUR${opening}`,
      `:61:${day}C10,00NTRFREF//B-${day}`,
      ':86:/REMI/INV-X/',
      `:62F:C${day}EUR${closing}`,
      '-',
    ].join('\n');
  for (const [o, c, d] of [
    ['0,00', '10,00', '260301'],
    ['5,00', '99,00', '260302'],
  ]) {
    const up = await t.request('POST', '/banks/default/statements', {
      headers: { ...admin, 'content-type': 'text/plain' },
      body: statement(o, c, d),
    });
    expect(up.status).toBe(201);
  }
  const statements = await t.request('GET', '/banks/default/statements', { headers: admin });
  return {
    statementId: (statements.body as { data: Array<{ id: string }> }).data[0].id,
    webhookEventId: (events.body as { data: Array<{ id: string }> }).data[0].id,
    invoiceId: invoice.id,
    transactionId: payingId,
    exceptionId: noReferenceId,
    runId: run.id,
    subscriptionId: sub.id,
  };
}
