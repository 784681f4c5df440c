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
 * Publishes one relay transaction's events, batch after batch (in commit order), with as many
 * acknowledgements in flight as the order and the window allow: events of different aggregates
 * go out together, an aggregate's next event only once its previous one was acknowledged, also
 * when the two fall in different batches (the relay hands on its next batch while the previous
 * one's acknowledgements are still coming back). So when a publish fails half way (the broker
 * restarts with messages still in the socket, while the client resends what it had buffered), no
 * later event of that aggregate can have been stored before it: the transaction fails, and when
 * it is published again the stream dedupes what it already has and appends the rest in order.
 *
 * After a failure nothing more is sent (the relay rolls the whole transaction back anyway), and
 * every later `add` fails with that first error. One instance serves one relay transaction.
 */
export class InOrder<T> {
  private readonly last = new Map<string, Promise<unknown>>();
  private readonly waiting: Array<() => void> = [];
  private inFlight = 0;
  private failure: { error: unknown } | null = null;

  /** @param window how many publishes may await their acknowledgement at once */
  constructor(
    private readonly send: (e: OutboxEvent) => Promise<T>,
    private readonly window = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Starts a batch after everything added before it. Waits for every publish of the batch
   * before failing with the first error (nothing of it still in flight when the relay rolls
   * back); resolves with what `send` resolved, in the batch's order.
   */
  async add(events: readonly OutboxEvent[]): Promise<T[]> {
    const sent = events.map((e) => {
      const before = this.last.get(e.aggregateid);
      const mine = before ? before.then(() => this.publish(e)) : this.publish(e);
      this.last.set(e.aggregateid, mine);
      return mine;
    });
    const settled = await Promise.allSettled(sent);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw this.failure ? this.failure.error : failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
  }

  private async publish(e: OutboxEvent): Promise<T> {
    this.throwIfFailed();
    if (this.inFlight < this.window) this.inFlight++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    // Holding a slot from here (taken, or handed over by `release`).
    try {
      this.throwIfFailed();
      return await this.send(e);
    } catch (err) {
      this.failure ??= { error: err };
      throw err;
    } finally {
      this.release();
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Hands the slot to the next publish waiting for one (after a failure it fails at once). */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}
