import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { validationProblem } from '../common/problem';
import type { IntakeOutcome } from '../intake/intake.service';
import type { Delivery } from './delivery';
import { storableText } from '../common/storable-text';

/** Up's webhook event (v1/openapi.json `WebhookEventCallback`), the parts we use. */
export interface UpEvent {
  eventId: string;
  eventType: string;
  transactionId: string | null;
  link: string | null;
}

const TRANSACTION_EVENTS = new Set([
  'TRANSACTION_CREATED',
  'TRANSACTION_SETTLED',
  'TRANSACTION_DELETED',
]);

/** The event id the guard needs before anything is stored: `data.id`. */
export function upEventId(body: unknown): string | undefined {
  const id = (body as { data?: { id?: unknown } } | null)?.data?.id;
  return usable(id, 200) ? id : undefined;
}

/** Text PostgreSQL cannot hold (NUL, an unpaired surrogate) is a 400, never a failed insert. */
function usable(value: unknown, max: number): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= max && storableText(value)
  );
}

export function parseUpEvent(body: unknown): UpEvent {
  const data = (body as { data?: Record<string, unknown> } | null)?.data;
  const eventId = upEventId(body);
  const attributes = data?.attributes as { eventType?: unknown } | undefined;
  const eventType = attributes?.eventType;
  if (!eventId || !usable(eventType, 100)) {
    throw validationProblem([
      {
        field: 'data.attributes.eventType',
        message: 'an Up webhook event needs data.id and data.attributes.eventType',
      },
    ]);
  }
  const relation = (
    data?.relationships as
      { transaction?: { data?: { id?: unknown }; links?: { related?: unknown } } } | undefined
  )?.transaction;
  const transactionId = usable(relation?.data?.id, 200) ? relation.data.id : null;
  const link = usable(relation?.links?.related, 2000) ? relation.links.related : null;
  if (TRANSACTION_EVENTS.has(eventType) && !transactionId) {
    throw validationProblem([
      {
        field: 'data.relationships.transaction.data.id',
        message: `${eventType} needs the transaction id`,
      },
    ]);
  }
  return { eventId, eventType, transactionId, link };
}

/**
 * Up deliveries carry a link, not the transaction: store the event and queue the transaction
 * for fetching (CREATED, SETTLED) or voiding (DELETED). Few and small, so one ordinary
 * transaction each rather than the batched path.
 */
@Injectable()
export class UpIntake {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async accept(delivery: Delivery): Promise<IntakeOutcome> {
    const event = parseUpEvent(delivery.body);
    const sha = createHash('sha256').update(delivery.rawBody).digest();
    return this.dataSource.transaction(async (em) => {
      const inserted = await em.query<Array<{ id: string }>>(
        `INSERT INTO webhook_events (bank_id, event_id, event_type, body, body_sha256, headers,
                                     external_transaction_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (bank_id, event_id) DO NOTHING RETURNING id`,
        [
          delivery.bank.id,
          event.eventId,
          event.eventType,
          delivery.rawBody,
          sha,
          delivery.headers,
          event.transactionId,
        ],
      );
      if (inserted.length === 0) {
        const [stored] = await em.query<Array<{ body_sha256: Buffer }>>(
          `SELECT body_sha256 FROM webhook_events WHERE bank_id = $1 AND event_id = $2`,
          [delivery.bank.id, event.eventId],
        );
        return {
          stored: false,
          sameBody: Boolean(stored?.body_sha256.equals(sha)),
          transactionWritten: false,
          eventId: event.eventId,
          externalTransactionId: event.transactionId,
        };
      }
      if (event.transactionId) await this.queue(em, delivery.bank.id, event, inserted[0].id);
      return {
        stored: true,
        sameBody: true,
        transactionWritten: event.transactionId !== null,
        eventId: event.eventId,
        externalTransactionId: event.transactionId,
      };
    });
  }

  private async queue(
    em: EntityManager,
    bankId: string,
    event: UpEvent,
    storedEventId: string,
  ): Promise<void> {
    const voiding = event.eventType === 'TRANSACTION_DELETED';
    if (!voiding && !TRANSACTION_EVENTS.has(event.eventType)) return;
    // A VOIDED transaction stays voided: a late CREATED or SETTLED never revives it.
    await em.query(
      `INSERT INTO transactions (bank_id, external_id, needs_fetch, void_requested, details_url,
                                 source_event_id)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (bank_id, external_id) DO UPDATE
          SET needs_fetch = transactions.needs_fetch OR EXCLUDED.needs_fetch,
              void_requested = transactions.void_requested OR EXCLUDED.void_requested,
              details_url = COALESCE(EXCLUDED.details_url, transactions.details_url),
              status = 'PENDING', attempts = 0, last_error = NULL,
              next_attempt_at = now(), updated_at = now()
        WHERE transactions.status <> 'VOIDED'`,
      [bankId, event.transactionId, !voiding, voiding, event.link, storedEventId],
    );
  }
}
