import { isUtf8 } from 'node:buffer';
import { parseStandardPage, parseUpPage } from '../banks/pull/pull-parsers';
import { BankApiError } from '../banks/up-client';
import { ProblemException, type ProblemField } from '../common/problem';
import { parseUpEvent } from './up-intake';
import {
  normalizeSeedTransaction,
  type NormalizedTransaction,
} from '../intake/normalized-transaction';

/** A stored event, as the replay reads it. */
export interface StoredEvent {
  id: string;
  bank_id: string;
  event_id: string;
  event_type: string | null;
  body: Buffer;
}

/** What the stored bytes of an event normalize to today, through the intake's own parsers. */
export type ReplayPlan =
  | { kind: 'none' }
  | {
      kind: 'fields';
      externalId: string;
      tx: NormalizedTransaction;
      bankStatus: string | null;
      rawText: string | null;
      source: 'webhook' | 'pull';
    }
  | { kind: 'up'; externalId: string; voiding: boolean; link: string | null };

/** 422: the request is fine, the stored bytes do not pass today's validation. */
function unusable(errors: ProblemField[]): ProblemException {
  return new ProblemException(
    422,
    'replay-invalid',
    "The stored event does not pass today's validation; nothing was changed",
    { errors },
  );
}

function parse(body: Buffer): unknown {
  if (!isUtf8(body)) throw unusable([{ field: '(body)', message: 'the body is not UTF-8' }]);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw unusable([{ field: '(body)', message: `not JSON: ${(err as Error).message}` }]);
  }
}

/** A pulled object is a seed-format item, or an Up TransactionResource (it has `attributes`). */
function pulledPlan(raw: unknown): ReplayPlan {
  const isUp = typeof raw === 'object' && raw !== null && 'attributes' in raw;
  let page;
  try {
    page = isUp
      ? parseUpPage({ data: [raw], links: { prev: null, next: null } }, 'replay')
      : parseStandardPage({ data: [raw], next_cursor: null }, 'replay');
  } catch (err) {
    if (err instanceof BankApiError) throw unusable([{ field: '(body)', message: err.message }]);
    throw err;
  }
  const [item] = page.items;
  if (!item) {
    throw unusable(page.invalid.map((i) => ({ field: '(body)', message: i.reason })));
  }
  return {
    kind: 'fields',
    externalId: item.externalId,
    tx: item.tx,
    bankStatus: item.bankStatus,
    rawText: item.rawText,
    source: 'pull',
  };
}

/**
 * The intake's normalization, again: seed-format bodies by `normalizeSeedTransaction`, pulled
 * versions by the pull's parsers, Up webhook events by `parseUpEvent` (their bytes name the
 * transaction and what happened to it; the transaction itself comes from Up's API).
 */
export function replayPlan(event: StoredEvent): ReplayPlan {
  const body = parse(event.body);
  if (event.event_type === 'pull') return pulledPlan(body);
  if (event.event_type === null) {
    const result = normalizeSeedTransaction(body);
    if (!result.ok) throw unusable(result.errors);
    return {
      kind: 'fields',
      externalId: result.tx.externalId,
      tx: result.tx,
      bankStatus: null,
      rawText: null,
      source: 'webhook',
    };
  }
  let up;
  try {
    up = parseUpEvent(body);
  } catch (err) {
    const errors = err instanceof ProblemException ? err.extras.errors : undefined;
    if (!errors) throw err;
    throw unusable(errors);
  }
  const voiding = up.eventType === 'TRANSACTION_DELETED';
  const names =
    voiding || up.eventType === 'TRANSACTION_CREATED' || up.eventType === 'TRANSACTION_SETTLED';
  if (!names || !up.transactionId) return { kind: 'none' };
  return { kind: 'up', externalId: up.transactionId, voiding, link: up.link };
}
