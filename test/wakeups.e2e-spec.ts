import { ADMIN_KEY, bearer, startTestApp, type TestApp } from './support/app';
import { createTestDatabase, query } from './support/database';
import { startReceiver, type Receiver } from './support/receiver';
import { eventually, seedBody, sendSigned, WEBHOOK_SECRET } from './support/webhooks';

const admin = bearer(ADMIN_KEY);
// Polls an hour apart: whatever the worker instance does within the test, a wake-up caused it.
const POLL_NEVER = '3600000';

/**
 * Two instances on one database: `front` answers banks and staff with no background loops
 * (WORKER_ENABLED=false), `back` runs them and polls once an hour. Work committed by `front`
 * reaches `back` only through PostgreSQL NOTIFY.
 */
jest.setTimeout(30_000);

describe('wake-ups across instances (LISTEN/NOTIFY)', () => {
  let front: TestApp;
  let back: TestApp;
  let receiver: Receiver;

  beforeAll(async () => {
    const db = await createTestDatabase();
    const env = {
      WEBHOOK_SECRET,
      ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true',
      BACKGROUND_POLL_MS: POLL_NEVER,
    };
    back = await startTestApp(env, db);
    front = await startTestApp({ ...env, WORKER_ENABLED: 'false' }, db);
    receiver = await startReceiver();
    const sub = await front.request('POST', '/subscriptions', {
      headers: admin,
      json: { url: receiver.url, events: ['invoice.paid'] },
    });
    expect(sub.status).toBe(201);
    receiver.secrets.push(sub.body.secret);
  });
  afterAll(async () => {
    await front.close();
    await back.close();
    await receiver.close();
  });

  async function invoice(number: string): Promise<string> {
    const res = await front.request('POST', '/invoices', {
      headers: admin,
      json: { invoice_number: number, amount_due: '5000.00', currency: 'NGN' },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  const paidEvent = (id: string) =>
    eventually(
      async () => receiver.received.find((e) => e.type === 'invoice.paid' && e.data.id === id),
      15_000,
      `invoice.paid for ${id}`,
    );

  it('a webhook taken by one instance is processed, matched and announced by the other', async () => {
    const id = await invoice('INV-WAKE-1');
    const raw = JSON.stringify(seedBody({ transaction_id: 'wake_tx_1', reference: 'INV-WAKE-1' }));
    expect((await sendSigned(front, raw, 'wake_evt_1')).status).toBe(202);

    const paid = await paidEvent(id);
    expect(paid.data).toMatchObject({ invoice_number: 'INV-WAKE-1', status: 'paid' });
    const [tx] = await query<{ status: string; match_status: string }>(
      back.databaseUrl,
      `SELECT status, match_status FROM transactions WHERE external_id = 'wake_tx_1'`,
    );
    expect(tx).toEqual({ status: 'PROCESSED', match_status: 'matched' });
  });

  it("an event committed by one instance's staff request is relayed and sent by the other", async () => {
    // An unmatched payment first (processed by `back`, woken by `front`'s intake) ...
    const raw = JSON.stringify(seedBody({ transaction_id: 'wake_tx_2', reference: 'no number' }));
    expect((await sendSigned(front, raw, 'wake_evt_2')).status).toBe(202);
    const [tx] = await eventually(async () => {
      const rows = await query<{ id: string }>(
        back.databaseUrl,
        `SELECT id FROM transactions WHERE external_id = 'wake_tx_2' AND status = 'PROCESSED'`,
      );
      return rows.length ? rows : undefined;
    });
    // ... then a manual allocation on `front`: its invoice.paid sits in the outbox until `back`'s
    // relay hears of it.
    const id = await invoice('INV-WAKE-2');
    const match = await front.request('POST', '/reconcile/matches', {
      headers: admin,
      json: { transaction_id: tx.id, invoice_id: id, note: 'paid by phone' },
    });
    expect(match.status).toBe(201);
    const paid = await paidEvent(id);
    expect(paid.data).toMatchObject({ invoice_number: 'INV-WAKE-2', status: 'paid' });
  });
});
