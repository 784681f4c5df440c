import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventType } from './event.entities';

/**
 * Appends events to the outbox. Call it with the EntityManager of the transaction that makes
 * the change, so the event commits (or rolls back) with it. Statements that can, write their
 * events themselves with `INSERT INTO outbox_events … SELECT` in the same statement.
 */
export async function emitEvents(
  db: EntityManager | DataSource,
  events: ReadonlyArray<{ type: EventType; data: unknown }>,
): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO outbox_events (id, type, payload)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[])`,
    [
      events.map(() => randomUUID()),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
    ],
  );
}
