import { describeData, mergeTrail, type AuditEntry } from './audit';

const entry = (id: string, at: string, seq: number | null = null): AuditEntry => ({
  id,
  seq,
  at: `2026-03-01T09:${at}:00.000Z`,
  actor: 'ops-alice',
  actor_key_id: null,
  action: 'allocation.created',
  entity: 'allocation',
  entity_id: id,
  data: {},
  prev_hash: null,
  hash: null,
});

describe('audit trail merge', () => {
  it('merges the streams oldest first, by time then chain place', () => {
    const { shown, more } = mergeTrail([
      { rows: [entry('inv', '00', 1), entry('cancel', '30', 4)], cursor: null },
      { rows: [entry('a2', '10', 3), entry('a1', '10', 2)], cursor: null },
    ]);
    expect(shown.map((e) => e.id)).toEqual(['inv', 'a1', 'a2', 'cancel']);
    expect(more).toBe(false);
  });

  it('holds back what a stream with more pages could still precede, and shows it after', () => {
    const other = { rows: [entry('late', '40')], cursor: null };
    const first = mergeTrail([
      { rows: [entry('p1', '00'), entry('p2', '20')], cursor: 'c' },
      other,
    ]);
    expect(first.shown.map((e) => e.id)).toEqual(['p1', 'p2']);
    expect(first.more).toBe(true);
    const next = mergeTrail([
      { rows: [entry('p1', '00'), entry('p2', '20'), entry('p3', '50')], cursor: null },
      other,
    ]);
    expect(next.shown.map((e) => e.id)).toEqual(['p1', 'p2', 'late', 'p3']);
    expect(next.more).toBe(false);
  });

  it('shows an entry met in two streams once', () => {
    const e = entry('same', '00');
    expect(
      mergeTrail([
        { rows: [e], cursor: null },
        { rows: [e], cursor: null },
      ]).shown,
    ).toEqual([e]);
  });
});

describe('audit data in words', () => {
  it('says the amount with its currency, leaves out empty fields, keeps the rest', () => {
    expect(
      describeData({
        transaction_id: 't-1',
        amount: '1234.50',
        currency: 'EUR',
        rule: 'suggestion',
        note: null,
        score: 0.92,
        automatic: false,
      }),
    ).toEqual([
      'transaction id t-1',
      'amount 1,234.50 EUR',
      'rule suggestion',
      'score 0.92',
      'automatic false',
    ]);
    expect(describeData({ currency: 'EUR', amount_due: '120.00' })).toEqual([
      'amount due 120.00 EUR',
    ]);
    expect(describeData({ currency: 'NGN', changes: { name: 'x' } })).toEqual([
      'currency NGN',
      'changes {"name":"x"}',
    ]);
  });
});
