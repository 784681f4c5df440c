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
