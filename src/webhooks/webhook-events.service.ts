import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isUtf8 } from 'node:buffer';
import { DataSource } from 'typeorm';
import { decodeUuidCursor, isUuid, keysetPage, type Page } from '../common/pagination';
import { notFound } from '../common/problem';
import { queryInstant } from '../common/timestamps';
import type { TransactionStatus } from '../transactions/transaction.entity';
import type {
  EventOutcome,
  WebhookEventDetailDto,
  WebhookEventDto,
  WebhookEventQuery,
} from './webhook-events.dto';

interface EventRow {
  id: string;
  bank_id: string;
  event_id: string;
  event_type: string | null;
  external_transaction_id: string | null;
  received_at: Date;
  body_sha256: Buffer;
  headers: Record<string, string>;
  transaction_id: string | null;
  transaction_status: TransactionStatus | null;
  outcome: EventOutcome;
  body?: Buffer;
}

// The outcome is read from what the intake stored (transactions.source_event_id, written by the
// same INSERT as the transaction), so the intake pays no write for it.
const OUTCOME = `CASE WHEN t.id IS NULL THEN 'no_transaction'
                      WHEN t.source_event_id = e.id THEN 'created'
                      ELSE 'duplicate' END`;

const SELECT = `SELECT e.id, e.bank_id, e.event_id, e.event_type, e.external_transaction_id,
                       e.received_at, e.body_sha256, e.headers, t.id AS transaction_id,
                       t.status AS transaction_status, ${OUTCOME} AS outcome`;

const FROM = `FROM webhook_events e
              LEFT JOIN transactions t
                ON t.bank_id = e.bank_id AND t.external_id = e.external_transaction_id`;

// Headers that name no secret and sign nothing. The intake also keeps the signature header
// (for an audit that re-verifies a delivery); banks choose their own header names, so what is
// shown is an allow-list, never a deny-list.
const SHOWN_HEADERS = new Set([
  'content-type',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'svix-id',
  'svix-timestamp',
]);
const SECRET_LIKE = /signature|secret|auth|token|key/i;

/**
 * The kept headers an operator may see: the allow-list, plus the bank's own event id header
 * (its name is per bank, but its value is the event id), never anything named like a signature.
 */
export function shownHeaders(
  headers: Record<string, string>,
  eventId: string,
): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string' || SECRET_LIKE.test(name)) continue;
    if (SHOWN_HEADERS.has(name.toLowerCase()) || value === eventId) shown[name] = value;
  }
  return shown;
}

function toDto(r: EventRow): WebhookEventDto {
  return {
    id: r.id,
    bank_id: r.bank_id,
    event_id: r.event_id,
    event_type: r.event_type,
    received_at: r.received_at.toISOString(),
    body_sha256: r.body_sha256.toString('hex'),
    headers: shownHeaders(r.headers, r.event_id),
    transaction_id: r.transaction_id,
    external_transaction_id: r.external_transaction_id,
    outcome: r.outcome,
    transaction_status: r.transaction_status,
  };
}

/** The stored deliveries (`webhook_events`), read-only. */
@Injectable()
export class WebhookEventsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(q: WebhookEventQuery): Promise<Page<WebhookEventDto>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (q.bank) where.push(`e.bank_id = ${param(q.bank)}`);
    if (q.from) where.push(`e.received_at >= ${param(queryInstant('from', q.from))}`);
    if (q.to) where.push(`e.received_at < ${param(queryInstant('to', q.to))}`);
    if (q.outcome) where.push(`${OUTCOME} = ${param(q.outcome)}`);
    if (q.transaction_status) where.push(`t.status = ${param(q.transaction_status)}`);
    if (q.transaction_id) {
      // Two InitPlans, so the (bank_id, external_transaction_id) index finds the events.
      const id = param(q.transaction_id);
      where.push(
        `e.bank_id = (SELECT bank_id FROM transactions WHERE id = ${id}::uuid)`,
        `e.external_transaction_id = (SELECT external_id FROM transactions WHERE id = ${id}::uuid)`,
      );
    }
    const after = decodeUuidCursor(q.cursor);
    if (after) {
      where.push(
        `(e.received_at, e.id) < (${param(new Date(after.at))}, ${param(after.id)}::uuid)`,
      );
    }
    const rows = await this.dataSource.query<EventRow[]>(
      `${SELECT} ${FROM}
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY e.received_at DESC, e.id DESC
       LIMIT ${param(q.limit + 1)}`,
      params,
    );
    return keysetPage(rows, q.limit, toDto, (r) => ({ at: r.received_at, id: r.id }));
  }

  /** One event with its exact bytes: as UTF-8 text (null if they are not) and as base64. */
  async get(id: string): Promise<WebhookEventDetailDto> {
    const [row] = isUuid(id)
      ? await this.dataSource.query<EventRow[]>(`${SELECT}, e.body ${FROM} WHERE e.id = $1`, [id])
      : [];
    if (!row?.body) throw notFound('webhook event', id);
    return {
      ...toDto(row),
      body: isUtf8(row.body) ? row.body.toString('utf8') : null,
      body_base64: row.body.toString('base64'),
    };
  }
}
