import { ProblemException } from '../common/problem';
import { replayPlan, type StoredEvent } from './replay-plan';
import { shownHeaders } from './webhook-events.service';

const event = (event_type: string | null, body: unknown): StoredEvent => ({
  id: '00000000-0000-4000-8000-000000000001',
  bank_id: 'acme',
  event_id: 'evt_1',
  event_type,
  body: Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body)),
});

const seed = {
  transaction_id: 'txn_1',
  amount: '12.50',
  currency: 'NGN',
  occurred_at: '2026-02-27T12:00:00Z',
  reference: 'INV-1',
};

const upResource = (status: string) => ({
  type: 'transactions',
  id: 'up_1',
  attributes: {
    status,
    amount: { value: '-4.20', currencyCode: 'AUD' },
    description: 'Coffee',
    message: 'INV-9',
    rawText: 'CAFE 123',
    createdAt: '2026-02-27T12:00:00+11:00',
  },
});

const upEvent = (eventType: string, withTransaction = true) => ({
  data: {
    type: 'webhook-events',
    id: 'up_evt',
    attributes: { eventType, createdAt: '2026-02-27T12:00:00Z' },
    ...(withTransaction
      ? {
          relationships: {
            transaction: {
              data: { type: 'transactions', id: 'up_1' },
              links: { related: 'https://api.up.example/api/v1/transactions/up_1' },
            },
          },
        }
      : {}),
  },
});

function problem(fn: () => unknown): ProblemException {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemException) return err;
    throw err;
  }
  throw new Error('no problem thrown');
}

describe('replayPlan', () => {
  it('normalizes a seed-format body as the intake does', () => {
    expect(replayPlan(event(null, seed))).toMatchObject({
      kind: 'fields',
      externalId: 'txn_1',
      tx: { amount: '12.50', currency: 'NGN', reference: 'INV-1', direction: 'credit' },
      bankStatus: null,
      rawText: null,
      source: 'webhook',
    });
  });

  it('normalizes a pulled version by its shape: seed-format item or Up resource', () => {
    expect(replayPlan(event('pull', seed))).toMatchObject({ kind: 'fields', source: 'pull' });
    expect(replayPlan(event('pull', upResource('HELD')))).toMatchObject({
      kind: 'fields',
      externalId: 'up_1',
      tx: { amount: '4.20', direction: 'debit', reference: 'INV-9', description: 'Coffee' },
      bankStatus: 'HELD',
      rawText: 'CAFE 123',
      source: 'pull',
    });
  });

  it('reads what an Up event asks for, and that a PING names nothing', () => {
    expect(replayPlan(event('TRANSACTION_SETTLED', upEvent('TRANSACTION_SETTLED')))).toEqual({
      kind: 'up',
      externalId: 'up_1',
      voiding: false,
      link: 'https://api.up.example/api/v1/transactions/up_1',
    });
    expect(replayPlan(event('TRANSACTION_DELETED', upEvent('TRANSACTION_DELETED')))).toMatchObject({
      kind: 'up',
      voiding: true,
    });
    expect(replayPlan(event('PING', upEvent('PING', false)))).toEqual({ kind: 'none' });
  });

  it('422 with the fields for bytes that no longer pass, or were never JSON or UTF-8', () => {
    const invalid = problem(() => replayPlan(event(null, { ...seed, amount: -1, occurred_at: 1 })));
    expect(invalid.getStatus()).toBe(422);
    expect(invalid.extras.errors?.map((e) => e.field).sort()).toEqual(['amount', 'occurred_at']);
    expect(problem(() => replayPlan(event(null, Buffer.from('{"a":')))).getStatus()).toBe(422);
    expect(
      problem(() => replayPlan(event(null, Buffer.from([0x7b, 0xff, 0x7d])))).getStatus(),
    ).toBe(422);
    expect(problem(() => replayPlan(event('pull', upResource('PENDING')))).getStatus()).toBe(422);
    expect(problem(() => replayPlan(event('TRANSACTION_CREATED', { data: {} }))).getStatus()).toBe(
      422,
    );
  });
});

describe('shownHeaders', () => {
  it('shows the allow-list and the event id header, never a signature', () => {
    expect(
      shownHeaders(
        {
          'content-type': 'application/json',
          'user-agent': 'bank/1.0',
          'x-acme-delivery': 'evt_1',
          'x-acme-mac': 'deadbeef',
          'x-signature': 'sha256=abc',
          'webhook-id': 'evt_1',
          'webhook-timestamp': '1700000000',
          'webhook-signature': 'v1,abc=',
          'svix-signature': 'v1,abc=',
          'x-up-authenticity-signature': 'abc',
          // Named like a secret even though its value is the event id: not shown.
          'x-signature-id': 'evt_1',
        },
        'evt_1',
      ),
    ).toEqual({
      'content-type': 'application/json',
      'user-agent': 'bank/1.0',
      'x-acme-delivery': 'evt_1',
      'webhook-id': 'evt_1',
      'webhook-timestamp': '1700000000',
    });
  });
});
