import type { Request } from 'express';
import type { ResolvedBank } from '../banks/banks.service';

/** A delivery that passed the signature guard: the bank, its event id and the exact bytes. */
export interface Delivery {
  bank: ResolvedBank;
  eventId: string;
  rawBody: Buffer;
  body: unknown;
  headers: Record<string, string>;
}

/** What the idempotency interceptor made of a stored delivery (the latency metric's outcome). */
export type IntakeAnswer = 'accepted' | 'deduped' | 'conflict';

export type WebhookRequest = Request & {
  rawBody?: Buffer;
  delivery?: Delivery;
  intakeAnswer?: IntakeAnswer;
};

/** What storing a delivery came to; the idempotency interceptor turns it into the answer. */
export interface IntakeOutcome {
  /** false: the event id was already stored (a replay, or a conflicting reuse of the id). */
  stored: boolean;
  /** For a replay: whether the stored body has the same bytes. */
  sameBody: boolean;
  /** The transaction row was inserted (or, for a pulled Up transaction, settled) by this event. */
  transactionWritten: boolean;
  eventId: string;
  externalTransactionId: string | null;
}
