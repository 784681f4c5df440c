import type { OutboxEvent } from './event-sink';

/** The subject an event is published on: `bank_sync.<event type>` (contract, "Event bus"). */
export function subjectFor(type: string): string {
  return `bank_sync.${type}`;
}

/**
 * What a bus message carries: the body a webhook subscriber gets for the same event, with the
 * payload's JSON text (`OutboxEvent.data`) spliced in as it came from PostgreSQL.
 */
export function envelope(e: OutboxEvent): string {
  if (e.data === undefined) throw new Error(`event ${e.id} was read without its payload`);
  const head = JSON.stringify({ id: e.id, type: e.type, occurred_at: e.created_at.toISOString() });
  return `${head.slice(0, -1)},"data":${e.data}}`;
}

/**
 * Publishes a batch (in commit order) with as many acknowledgements in flight as the order
 * allows: events of different aggregates go out together, an aggregate's next event only once
 * the previous one was acknowledged. So when a publish fails half way (the broker restarts with
 * messages still in the socket, while the client resends what it had buffered), no later event
 * of that aggregate can have been stored before it: the batch fails, and when it is published
 * again the stream dedupes what it already has and appends the rest in order.
 *
 * Waits for every publish before failing with the first error (nothing of the batch still in
 * flight when the relay rolls back); resolves with what `send` resolved, in the batch's order.
 */
export async function publishInOrder<T>(
  events: readonly OutboxEvent[],
  send: (e: OutboxEvent) => Promise<T>,
): Promise<T[]> {
  const last = new Map<string, Promise<T>>();
  const sent = events.map((e) => {
    const before = last.get(e.aggregateid);
    const mine = before ? before.then(() => send(e)) : send(e);
    last.set(e.aggregateid, mine);
    return mine;
  });
  const settled = await Promise.allSettled(sent);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
