import type { EntityManager } from 'typeorm';

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
 * Where the relay hands outbox events. Every sink gets each batch (side by side; a sink that
 * writes with `m` is the only one using it). `publish` runs inside the relay's transaction, before
 * the events are marked dispatched: a sink that writes to this database (the webhook sink's
 * delivery rows) commits atomically with that mark; a sink for a message bus (Kafka, NATS)
 * would publish and await the broker's acknowledgement here, so a crash before commit means the
 * batch is published again (at least once; consumers dedupe by event id).
 */
export interface EventSink {
  readonly name: string;
  /**
   * Whether `publish` reads `data`. A sink that only records ids (the webhook sink: the
   * delivery worker reads the payload when it sends) spares the relay parsing every payload.
   */
  readonly needsData: boolean;
  /**
   * Whether the sink keeps commit order (a message bus: each transaction's events in the order
   * they were written). The relay then hands batches on one at a time across instances (a
   * transaction-level advisory lock), instead of instances relaying side by side.
   */
  readonly ordered: boolean;
  publish(m: EntityManager, events: OutboxEvent[]): Promise<void>;
}

export const EVENT_SINKS = Symbol('EVENT_SINKS');
