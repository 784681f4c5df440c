export interface OutboxEvent {
  id: string;
  type: string;
  /** What the event is about (a transaction's, invoice's or run's id): its order key. */
  aggregateid: string;
  /**
   * The event's payload as JSON text, as PostgreSQL prints the jsonb (a bus puts it in its
   * message as it is: no parse and no stringify per event); loaded only when a sink says
   * `needsData` (else undefined).
   */
  data?: string;
  created_at: Date;
}

/**
 * Where the relay hands outbox events. Every sink gets each batch (side by side). The
 * hand-over runs inside the relay's transaction, which marks the events dispatched and commits
 * only once every sink took them: a sink that writes to this database (the webhook sink's
 * delivery rows) commits atomically with that mark; a sink for a message bus (Kafka, NATS)
 * publishes and awaits the broker's acknowledgements, so a crash before commit means the events
 * are published again (at least once; consumers dedupe by event id).
 */
export interface EventSink {
  readonly name: string;
  /**
   * Whether `take` reads `data`. A sink that only records ids (the webhook sink: the
   * delivery worker reads the payload when it sends) spares the relay parsing every payload.
   */
  readonly needsData: boolean;
  /**
   * Whether the sink keeps commit order (a message bus: each transaction's events in the order
   * they were written). The relay then hands batches on one transaction at a time across
   * instances (a transaction-level advisory lock), instead of instances relaying side by side.
   */
  readonly ordered: boolean;
  /** Starts the hand-over of one relay transaction; `query` runs statements in it. */
  open(query: RelayQuery): SinkHandOver;
}

/**
 * Runs a statement in the relay's transaction once the statements issued before it are done
 * (one at a time on its connection: the relay claims and marks while sinks write).
 */
export type RelayQuery = <T = unknown>(sql: string, params?: unknown[]) => Promise<T>;

/**
 * One relay transaction's hand-over to a sink. The relay calls `take` for each batch it claims,
 * in commit order, without waiting for the previous batch to be taken (its next claim runs
 * while the bus acknowledges): an ordered sink keeps each aggregate's events in order across
 * the batches of one hand-over. Once a `take` failed the relay claims nothing more and rolls
 * the transaction back, after every `take` settled.
 */
export interface SinkHandOver {
  /** Resolves once the sink has every event of `events` (a bus: each one acknowledged). */
  take(events: OutboxEvent[]): Promise<void>;
}

export const EVENT_SINKS = Symbol('EVENT_SINKS');
