import { parseDateTime } from '../common/timestamps';
import { parseAmount } from '../common/money';
import type { Direction } from '../transactions/transaction.entity';
import { storableText } from '../common/storable-text';

/** Up's transaction resource, normalized to what Bank Sync stores. */
export interface UpTransaction {
  externalId: string;
  amount: string;
  currency: string;
  direction: Direction;
  occurredAt: Date;
  message: string | null;
  description: string | null;
  rawText: string | null;
  status: string;
  /** `attributes.foreignAmount`: what a purchase abroad cost in its own currency (magnitude). */
  foreignAmount: string | null;
  foreignCurrency: string | null;
  /** `attributes.settledAt`: null while HELD. */
  settledAt: Date | null;
  /** `attributes.holdInfo.amount`: what was held, which a settlement may differ from. */
  holdAmount: string | null;
  holdCurrency: string | null;
}

export class BankApiError extends Error {
  override readonly name = 'BankApiError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 10_000;

/**
 * True when `target` lies under `baseUrl` (same origin, path below the base path). The service
 * never requests anything else, whatever a payload says.
 */
export function isWithinBaseUrl(target: string, baseUrl: string): boolean {
  let t: URL;
  let b: URL;
  try {
    t = new URL(target);
    b = new URL(baseUrl);
  } catch {
    return false;
  }
  if (t.origin !== b.origin || t.username || t.password) return false;
  const basePath = b.pathname.replace(/\/+$/, '');
  return t.pathname === basePath || t.pathname.startsWith(`${basePath}/`);
}

/** Up's free text, made storable: PostgreSQL text holds neither NUL nor an unpaired surrogate. */
function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0
    ? value.replace(/\0/g, '').toWellFormed()
    : null;
}

/**
 * Up's MoneyObject as a magnitude and its currency (the sign is the transaction's direction, as
 * for `amount`); null when Up sends none. A 0.00 amount is real (Up books them) and kept.
 */
function upMoney(
  money: unknown,
  field: string,
): { amount: string; currency: string; negative: boolean } | null {
  if (money === undefined || money === null) return null;
  const m = money as { value?: unknown; currencyCode?: unknown };
  if (typeof m !== 'object' || typeof m.value !== 'string' || typeof m.currencyCode !== 'string') {
    throw new BankApiError(`Up transaction has no ${field}.value / ${field}.currencyCode`, false);
  }
  const negative = m.value.startsWith('-');
  const parsed = parseAmount(negative ? m.value.slice(1) : m.value, m.currencyCode, {
    allowZero: true,
  });
  if (!parsed.ok) throw new BankApiError(`Up transaction ${field}: ${parsed.message}`, false);
  return { amount: parsed.value, currency: m.currencyCode, negative };
}

/** Maps Up's JSON:API transaction resource (v1/openapi.json `TransactionResource`). */
export function normalizeUpTransaction(resource: unknown): UpTransaction {
  const r = resource as {
    id?: unknown;
    attributes?: {
      amount?: { value?: unknown; currencyCode?: unknown };
      description?: unknown;
      message?: unknown;
      rawText?: unknown;
      status?: unknown;
      createdAt?: unknown;
      settledAt?: unknown;
      foreignAmount?: unknown;
      holdInfo?: { amount?: unknown } | null;
    };
  } | null;
  const a = r?.attributes;
  if (typeof r?.id !== 'string' || !a)
    throw new BankApiError('not an Up transaction resource', false);
  // The id is a key: refused, not repaired (one unstorable row would fail its whole batch).
  // At most 200 characters, like every event and transaction id: a key far longer fails the
  // unique index ("index row size exceeds maximum"), and with it a shared write batch.
  if (r.id === '' || r.id.length > 200 || !storableText(r.id)) {
    throw new BankApiError(
      'Up transaction id must be 1 to 200 characters without NUL or an unpaired surrogate',
      false,
    );
  }
  const amount = upMoney(a.amount, 'amount');
  if (!amount)
    throw new BankApiError('Up transaction has no amount.value / amount.currencyCode', false);
  const createdAt = typeof a.createdAt === 'string' ? parseDateTime(a.createdAt) : null;
  if (!createdAt) {
    throw new BankApiError('Up transaction has no valid createdAt', false);
  }
  let settledAt: Date | null = null;
  if (a.settledAt !== undefined && a.settledAt !== null) {
    settledAt = typeof a.settledAt === 'string' ? parseDateTime(a.settledAt) : null;
    if (!settledAt)
      throw new BankApiError('Up transaction settledAt is not a valid date-time', false);
  }
  const foreign = upMoney(a.foreignAmount, 'foreignAmount');
  const hold =
    a.holdInfo === undefined || a.holdInfo === null
      ? null
      : upMoney(a.holdInfo.amount, 'holdInfo.amount');
  return {
    externalId: r.id,
    amount: amount.amount,
    currency: amount.currency,
    direction: amount.negative ? 'debit' : 'credit',
    occurredAt: createdAt,
    message: text(a.message),
    description: text(a.description),
    rawText: text(a.rawText),
    status: typeof a.status === 'string' ? a.status : 'SETTLED',
    foreignAmount: foreign?.amount ?? null,
    foreignCurrency: foreign?.currency ?? null,
    settledAt,
    holdAmount: hold?.amount ?? null,
    holdCurrency: hold?.currency ?? null,
  };
}

/** GET a JSON document from a bank API, refusing any URL outside its base_url. */
export async function getBankJson(
  url: string,
  api: { baseUrl: string; token: string },
  timeoutMs = TIMEOUT_MS,
): Promise<unknown> {
  if (!isWithinBaseUrl(url, api.baseUrl)) {
    throw new BankApiError(`refusing ${url}: outside the bank's base_url ${api.baseUrl}`, false);
  }
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new BankApiError(`bank API unreachable: ${why}`, true);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new BankApiError(
      `bank API answered ${res.status} for ${url}`,
      res.status >= 500 || res.status === 429,
    );
  }
  try {
    return await res.json();
  } catch {
    throw new BankApiError(`bank API sent a body that is not JSON for ${url}`, true);
  }
}

/** One Up transaction by link (or by id under base_url). */
export async function fetchUpTransaction(
  api: { baseUrl: string; token: string },
  externalId: string,
  link: string | null,
): Promise<UpTransaction> {
  const url = link ?? `${api.baseUrl}/transactions/${encodeURIComponent(externalId)}`;
  const doc = (await getBankJson(url, api)) as { data?: unknown } | null;
  const tx = normalizeUpTransaction(doc?.data);
  if (tx.externalId !== externalId) {
    throw new BankApiError(
      `Up answered transaction ${tx.externalId}, expected ${externalId}`,
      false,
    );
  }
  return tx;
}
