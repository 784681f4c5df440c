import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../common/pagination';
import { notFound } from '../common/problem';
import { Wakeups } from '../database/wakeups';
import type { TransactionStatus } from '../transactions/transaction.entity';
import { replayPlan, type ReplayPlan, type StoredEvent } from './replay-plan';
import type { ReplayResult, ReplayResultDto } from './webhook-events.dto';

type FieldsPlan = Extract<ReplayPlan, { kind: 'fields' }>;
type UpPlan = Extract<ReplayPlan, { kind: 'up' }>;

interface Locked {
  id: string;
  status: TransactionStatus;
  source_event_id: string | null;
  needs_fetch: boolean;
  void_requested: boolean;
  live: number;
}

interface Decision {
  result: ReplayResult;
  detail: string;
}

const unchanged = (detail: string): Decision => ({ result: 'unchanged', detail });

// The transaction's fields as the intake writes them ($2..$16), compared and set as one list.
const FIELDS = `amount = $2::numeric, currency = $3, direction = $4, occurred_at = $5::timestamptz,
                reference = $6, description = $7, counterparty = $8, raw_text = $9,
                bank_status = $10, unallocated_amount = $2::numeric, counterparty_account = $11,
                foreign_amount = $12::numeric, foreign_currency = $13,
                settled_at = $14::timestamptz, hold_amount = $15::numeric, hold_currency = $16`;
const DIFFERS = `(amount IS DISTINCT FROM $2::numeric OR currency IS DISTINCT FROM $3
                  OR direction IS DISTINCT FROM $4 OR occurred_at IS DISTINCT FROM $5::timestamptz
                  OR reference IS DISTINCT FROM $6 OR description IS DISTINCT FROM $7
                  OR counterparty IS DISTINCT FROM $8 OR raw_text IS DISTINCT FROM $9
                  OR bank_status IS DISTINCT FROM $10 OR counterparty_account IS DISTINCT FROM $11
                  OR foreign_amount IS DISTINCT FROM $12::numeric
                  OR foreign_currency IS DISTINCT FROM $13
                  OR settled_at IS DISTINCT FROM $14::timestamptz
                  OR hold_amount IS DISTINCT FROM $15::numeric OR hold_currency IS DISTINCT FROM $16)`;
// The rules of POST /transactions/{id}/retry: back in the queue with a fresh set of attempts.
const REQUEUE = `status = 'PENDING', attempts = 0, next_attempt_at = now(), updated_at = now()`;

function fieldParams(id: string, p: FieldsPlan): unknown[] {
  const t = p.tx;
  return [
    id,
    t.amount,
    t.currency,
    t.direction,
    t.occurredAt.toISOString(),
    t.reference,
    t.description,
    t.counterparty,
    p.rawText,
    p.bankStatus,
    t.counterpartyAccount ?? null,
    t.foreignAmount ?? null,
    t.foreignCurrency ?? null,
    t.settledAt ? t.settledAt.toISOString() : null,
    t.holdAmount ?? null,
    t.holdCurrency ?? null,
  ];
}

/**
 * `POST /webhook-events/{id}/replay`: the stored bytes normalized again by the intake's parsers,
 * then applied under the transaction's row lock by the intake's rules, so that a replay never
 * makes a second transaction or event and a second replay finds nothing left to do.
 */
@Injectable()
export class WebhookReplayService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly wakeups: Wakeups,
  ) {}

  async replay(id: string): Promise<ReplayResultDto> {
    const [event] = isUuid(id)
      ? await this.dataSource.query<StoredEvent[]>(
          `SELECT id, bank_id, event_id, event_type, body FROM webhook_events WHERE id = $1`,
          [id],
        )
      : [];
    if (!event) throw notFound('webhook event', id);
    const plan = replayPlan(event);
    if (plan.kind === 'none') {
      return this.answer(event, null, unchanged('the event names no transaction'));
    }
    const decision = await this.dataSource.transaction((em) => this.apply(em, event, plan));
    if (decision.result !== 'unchanged') this.wakeups.transactions.notify();
    return this.answer(event, plan.externalId, decision);
  }

  private async apply(
    em: EntityManager,
    event: StoredEvent,
    plan: FieldsPlan | UpPlan,
  ): Promise<Decision> {
    const [tx] = await em.query<Locked[]>(
      `SELECT t.id, t.status, t.source_event_id, t.needs_fetch, t.void_requested,
              (SELECT count(*)::int FROM transaction_matches m
                WHERE m.transaction_id = t.id AND m.reversed_at IS NULL) AS live
         FROM transactions t WHERE t.bank_id = $1 AND t.external_id = $2 FOR UPDATE`,
      [event.bank_id, plan.externalId],
    );
    if (!tx) return this.create(em, event, plan);
    if (tx.status === 'VOIDED') return unchanged('the transaction was withdrawn by the bank');
    const own = tx.source_event_id === event.id;
    if (tx.status === 'FAILED') {
      // Its own fields are taken again only while no money rests on them.
      const refresh = plan.kind === 'fields' && own && tx.live === 0;
      if (refresh) {
        await em.query(
          `UPDATE transactions SET ${FIELDS}, ${REQUEUE}, processed_at = NULL WHERE id = $1`,
          fieldParams(tx.id, plan),
        );
      } else if (plan.kind === 'up') {
        await em.query(
          `UPDATE transactions
              SET ${REQUEUE}, needs_fetch = needs_fetch OR NOT $2, void_requested = void_requested OR $2,
                  details_url = COALESCE($3, details_url)
            WHERE id = $1`,
          [tx.id, plan.voiding, plan.link],
        );
      } else {
        await em.query(`UPDATE transactions SET ${REQUEUE} WHERE id = $1`, [tx.id]);
      }
      return {
        result: 'requeued',
        detail: `the transaction was FAILED: back in the queue with a fresh set of attempts${
          refresh ? ', with its fields as the stored bytes normalize today' : ''
        }`,
      };
    }
    if (tx.live > 0) {
      return unchanged('the transaction has allocations; a replay never resets it');
    }
    if (plan.kind === 'up') {
      return unchanged(`the transaction is ${tx.status}; only a FAILED one is fetched again`);
    }
    if (!own) {
      // As at intake: a later event of a known transaction keeps its raw event only.
      return unchanged('the transaction was stored from another event; this one is kept as is');
    }
    if (tx.needs_fetch || tx.void_requested) {
      return unchanged("the transaction is queued for the bank's API");
    }
    // A SELECT over the update, so that the rows come back (TypeORM answers an UPDATE's count).
    const updated = await em.query<unknown[]>(
      `WITH u AS (
         UPDATE transactions SET ${FIELDS}, ${REQUEUE}, processed_at = NULL, last_error = NULL
          WHERE id = $1 AND ${DIFFERS} RETURNING id)
       SELECT id FROM u`,
      fieldParams(tx.id, plan),
    );
    return updated.length > 0
      ? { result: 'updated', detail: 'stored again as the bytes normalize today, and requeued' }
      : unchanged('the stored bytes normalize to what is stored');
  }

  /** The event's transaction is not stored (yet): store it as the intake would have. */
  private async create(
    em: EntityManager,
    event: StoredEvent,
    plan: FieldsPlan | UpPlan,
  ): Promise<Decision> {
    let inserted: unknown[];
    if (plan.kind === 'fields') {
      const params = fieldParams(event.id, plan);
      inserted = await em.query(
        `WITH tx AS (
           INSERT INTO transactions (bank_id, external_id, amount, currency, direction,
                                     occurred_at, reference, description, counterparty, raw_text,
                                     bank_status, unallocated_amount, counterparty_account,
                                     foreign_amount, foreign_currency, settled_at, hold_amount,
                                     hold_currency, match_status, source, source_event_id)
           VALUES ($17, $18, $2::numeric, $3, $4, $5::timestamptz, $6, $7, $8, $9, $10,
                   $2::numeric, $11, $12::numeric, $13, $14::timestamptz, $15::numeric, $16,
                   CASE WHEN $2::numeric = 0 THEN 'not_applicable' ELSE 'unmatched' END, $19,
                   $1::uuid)
           ON CONFLICT (bank_id, external_id) DO NOTHING
           RETURNING bank_sync_transaction_json(transactions) AS json),
         outbox AS (INSERT INTO outbox_events (id, type, payload)
                    SELECT gen_random_uuid(), 'transaction.received', json FROM tx)
         SELECT 1 FROM tx`,
        [...params, event.bank_id, plan.externalId, plan.source],
      );
    } else {
      inserted = await em.query(
        `INSERT INTO transactions (bank_id, external_id, needs_fetch, void_requested, details_url,
                                   source_event_id)
         VALUES ($1, $2, NOT $3, $3, $4, $5)
         ON CONFLICT (bank_id, external_id) DO NOTHING RETURNING id`,
        [event.bank_id, plan.externalId, plan.voiding, plan.link, event.id],
      );
    }
    return inserted.length > 0
      ? { result: 'created', detail: 'the transaction was not stored; it is now, from this event' }
      : unchanged('the transaction was stored meanwhile');
  }

  private async answer(
    event: StoredEvent,
    externalId: string | null,
    decision: Decision,
  ): Promise<ReplayResultDto> {
    const [tx] = externalId
      ? await this.dataSource.query<Array<{ id: string; status: TransactionStatus }>>(
          `SELECT id, status FROM transactions WHERE bank_id = $1 AND external_id = $2`,
          [event.bank_id, externalId],
        )
      : [];
    return {
      event_id: event.id,
      result: decision.result,
      transaction_id: tx?.id ?? null,
      external_transaction_id: externalId,
      transaction_status: tx?.status ?? null,
      detail: decision.detail,
    };
  }
}
