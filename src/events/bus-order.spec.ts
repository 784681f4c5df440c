import type { OutboxEvent } from './event-sink';
import { envelope, InOrder, subjectFor } from './bus-order';

const at = new Date('2026-12-02T10:00:00.000Z');
const ev = (id: string, aggregateid: string): OutboxEvent => ({
  id,
  type: 'transaction.received',
  aggregateid,
  data: `{"id": "${aggregateid}", "amount": "5000.00", "note": "a \\"quoted\\" \\u00e9"}`,
  created_at: at,
});

/** A broker whose acknowledgements the test hands out (or refuses) one by one. */
function broker() {
  const pending = new Map<string, { ok: () => void; fail: (e: Error) => void }>();
  const sent: string[] = [];
  const send = (e: OutboxEvent) =>
    new Promise<string>((resolve, reject) => {
      sent.push(e.id);
      pending.set(e.id, { ok: () => resolve(e.id), fail: reject });
    });
  const flush = () => new Promise((r) => setImmediate(r));
  return { pending, sent, send, flush };
}

describe('subjectFor and envelope', () => {
  it('publishes on bank_sync.<type> the body a webhook subscriber gets', () => {
    expect(subjectFor('invoice.paid')).toBe('bank_sync.invoice.paid');
    expect(JSON.parse(envelope(ev('e1', 't1')))).toEqual({
      id: 'e1',
      type: 'transaction.received',
      occurred_at: '2026-12-02T10:00:00.000Z',
      data: { id: 't1', amount: '5000.00', note: 'a "quoted" é' },
    });
  });

  it('refuses an event read without its payload', () => {
    expect(() => envelope({ ...ev('e1', 't1'), data: undefined })).toThrow(/without its payload/);
  });
});

describe('InOrder', () => {
  it('sends different aggregates together and one aggregate one after the other', async () => {
    const b = broker();
    const done = new InOrder(b.send).add([ev('a1', 'A'), ev('b1', 'B'), ev('a2', 'A')]);
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1']);
    b.pending.get('b1')!.ok();
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1']);
    b.pending.get('a1')!.ok();
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1', 'a2']);
    b.pending.get('a2')!.ok();
    await expect(done).resolves.toEqual(['a1', 'b1', 'a2']);
  });

  it("continues an aggregate's chain into the next batch, sent while the first is in flight", async () => {
    const b = broker();
    const order = new InOrder(b.send);
    const first = order.add([ev('a1', 'A'), ev('b1', 'B')]);
    const second = order.add([ev('c1', 'C'), ev('a2', 'A')]);
    await b.flush();
    // C goes out at once; A's second event waits for A's first, acknowledged in batch one.
    expect(b.sent).toEqual(['a1', 'b1', 'c1']);
    b.pending.get('c1')!.ok();
    b.pending.get('b1')!.ok();
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1', 'c1']);
    b.pending.get('a1')!.ok();
    await expect(first).resolves.toEqual(['a1', 'b1']);
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1', 'c1', 'a2']);
    b.pending.get('a2')!.ok();
    await expect(second).resolves.toEqual(['c1', 'a2']);
  });

  it('keeps at most `window` publishes awaiting their acknowledgement, across batches', async () => {
    const b = broker();
    const order = new InOrder(b.send, 2);
    const first = order.add([ev('a1', 'A'), ev('b1', 'B')]);
    const second = order.add([ev('c1', 'C'), ev('d1', 'D')]);
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1']);
    b.pending.get('b1')!.ok();
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1', 'c1']);
    b.pending.get('a1')!.ok();
    await b.flush();
    expect(b.sent).toEqual(['a1', 'b1', 'c1', 'd1']);
    b.pending.get('c1')!.ok();
    b.pending.get('d1')!.ok();
    await expect(first).resolves.toEqual(['a1', 'b1']);
    await expect(second).resolves.toEqual(['c1', 'd1']);
  });

  it("never sends an aggregate's later event after an earlier one failed, and waits for the rest", async () => {
    const b = broker();
    let settled = false;
    const done = new InOrder(b.send)
      .add([ev('a1', 'A'), ev('b1', 'B'), ev('a2', 'A')])
      .finally(() => (settled = true));
    await b.flush();
    b.pending.get('a1')!.fail(new Error('timeout'));
    await b.flush();
    // B's publish is still in flight: the relay must not roll back under it.
    expect(settled).toBe(false);
    b.pending.get('b1')!.ok();
    await expect(done).rejects.toThrow('timeout');
    expect(b.sent).toEqual(['a1', 'b1']);
  });

  it('after a failure sends nothing more, in this batch or a later one, and reports the first error', async () => {
    const b = broker();
    const order = new InOrder(b.send, 1);
    const first = order.add([ev('a1', 'A'), ev('b1', 'B')]);
    const second = order.add([ev('c1', 'C')]);
    await b.flush();
    expect(b.sent).toEqual(['a1']);
    b.pending.get('a1')!.fail(new Error('broker restarted'));
    await expect(first).rejects.toThrow('broker restarted');
    await expect(second).rejects.toThrow('broker restarted');
    await expect(order.add([ev('d1', 'D')])).rejects.toThrow('broker restarted');
    expect(b.sent).toEqual(['a1']);
  });

  it('resolves with nothing for an empty batch', async () => {
    await expect(new InOrder(() => Promise.resolve(1)).add([])).resolves.toEqual([]);
  });
});
