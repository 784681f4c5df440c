import { parseAccount } from '../common/account-number';
import { isCurrency, parseAmount } from '../common/money';
import type { ProblemField } from '../common/problem';
import { storableText, UNSTORABLE_TEXT } from '../common/storable-text';
import { parseDateTime } from '../common/timestamps';
import type { Direction } from '../transactions/transaction.entity';

/** A transaction as every scheme's body is normalized to before it is stored. */
export interface NormalizedTransaction {
  externalId: string;
  amount: string;
  currency: string;
  direction: Direction;
  occurredAt: Date;
  reference: string | null;
  description: string | null;
  counterparty: string | null;
  /** The payer's IBAN or account number, compact (seed field `counterparty_account`). */
  counterpartyAccount?: string | null;
  /** What the bank adds where it has it (Up); null or absent for the seed format. Optional so
   * that every source (statements too) need name only what it has. */
  foreignAmount?: string | null;
  foreignCurrency?: string | null;
  settledAt?: Date | null;
  holdAmount?: string | null;
  holdCurrency?: string | null;
}

/** The fields of a NormalizedTransaction that only some banks send. */
export const NO_BANK_EXTRAS = Object.freeze({
  foreignAmount: null,
  foreignCurrency: null,
  settledAt: null,
  holdAmount: null,
  holdCurrency: null,
});

export type NormalizeResult =
  { ok: true; tx: NormalizedTransaction } | { ok: false; errors: ProblemField[] };

const MAX_ID = 200;
const MAX_TEXT = 2000;
// PostgreSQL text cannot hold U+0000, nor an unpaired UTF-16 surrogate (JSON can write one as
// "\ud800"); let through, either would fail the whole group-commit batch.
const NUL_MESSAGE = (field: string): string => `${field} ${UNSTORABLE_TEXT} such as \\ud800`;

function optionalText(
  body: Record<string, unknown>,
  field: string,
  errors: ProblemField[],
): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    errors.push({ field, message: `${field} must be a string` });
    return null;
  }
  if (value.length > MAX_TEXT) {
    errors.push({ field, message: `${field} must be at most ${MAX_TEXT} characters` });
    return null;
  }
  if (!storableText(value)) {
    errors.push({ field, message: NUL_MESSAGE(field) });
    return null;
  }
  return value;
}

/**
 * Validates and normalizes the seed-format body (`hmac-sha256` and `standard-webhooks` banks,
 * and the `standard` pull API). Hand-written rather than class-validator: it runs on every
 * delivery, and amount rules depend on the currency.
 */
export function normalizeSeedTransaction(body: unknown): NormalizeResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'the body must be a JSON object' }] };
  }
  const b = body as Record<string, unknown>;
  const errors: ProblemField[] = [];

  const externalId = b.transaction_id;
  if (typeof externalId !== 'string' || externalId.trim() === '' || externalId.length > MAX_ID) {
    errors.push({
      field: 'transaction_id',
      message: `transaction_id is required: a non-empty string of at most ${MAX_ID} characters`,
    });
  } else if (!storableText(externalId)) {
    errors.push({ field: 'transaction_id', message: NUL_MESSAGE('transaction_id') });
  }

  const currency = b.currency;
  const currencyOk = typeof currency === 'string' && isCurrency(currency);
  if (!currencyOk) {
    errors.push({
      field: 'currency',
      message: 'currency is required: an ISO 4217 code like "NGN"',
    });
  }

  let amount: string | null = null;
  if (b.amount === undefined || b.amount === null) {
    errors.push({ field: 'amount', message: 'amount is required' });
  } else if (currencyOk) {
    const parsed = parseAmount(b.amount, currency);
    if (parsed.ok) amount = parsed.value;
    else errors.push({ field: 'amount', message: parsed.message });
  } else if (typeof b.amount !== 'number' && typeof b.amount !== 'string') {
    errors.push({ field: 'amount', message: 'amount must be a number or a decimal string' });
  }

  const when = b.occurred_at;
  const occurredAt = typeof when === 'string' ? parseDateTime(when) : null;
  if (!occurredAt) {
    errors.push({
      field: 'occurred_at',
      message:
        'occurred_at is required: an ISO 8601 date-time with a zone in years 0001-9999, ' +
        'e.g. 2026-02-27T12:00:00Z',
    });
  }

  let direction: Direction = 'credit';
  if (b.direction !== undefined && b.direction !== null) {
    if (b.direction === 'credit' || b.direction === 'debit') direction = b.direction;
    else errors.push({ field: 'direction', message: 'direction must be "credit" or "debit"' });
  }

  const reference = optionalText(b, 'reference', errors);
  const description = optionalText(b, 'description', errors);
  const counterparty = optionalText(b, 'counterparty', errors);
  let counterpartyAccount = optionalText(b, 'counterparty_account', errors);
  if (counterpartyAccount !== null) {
    const account = parseAccount(counterpartyAccount);
    if (account.ok) counterpartyAccount = account.value;
    else
      errors.push({
        field: 'counterparty_account',
        message: `counterparty_account ${account.message}`,
      });
  }

  if (errors.length > 0 || amount === null || occurredAt === null) return { ok: false, errors };
  return {
    ok: true,
    tx: {
      externalId: externalId as string,
      amount,
      currency: currency as string,
      direction,
      occurredAt,
      reference,
      description,
      counterparty,
      counterpartyAccount,
      ...NO_BANK_EXTRAS,
    },
  };
}
