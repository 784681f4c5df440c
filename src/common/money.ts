/**
 * Exact money. Amounts travel as decimal strings and are computed as bigint minor units; a JS
 * number is only ever read (from a JSON body) and immediately checked, never computed with.
 */

/**
 * ISO 4217 List One (published 2026-01-01): every code with numeric minor units. Entries whose
 * minor unit is "N.A." (XDR, XUA, XSU, XBA-XBD, precious metals, XTS, XXX) are left out because no
 * bank transfer is denominated in them. Withdrawn codes (ANG, BGN, CUC, HRK, SLL, ZWL) are left
 * out too: the contract accepts active codes only.
 */
// prettier-ignore
export const CURRENCY_DECIMALS: Readonly<Record<string, number>> = Object.freeze({
  AED: 2, AFN: 2, ALL: 2, AMD: 2, AOA: 2, ARS: 2, AUD: 2, AWG: 2, AZN: 2,
  BAM: 2, BBD: 2, BDT: 2, BHD: 3, BIF: 0, BMD: 2, BND: 2, BOB: 2, BOV: 2, BRL: 2, BSD: 2,
  BTN: 2, BWP: 2, BYN: 2, BZD: 2,
  CAD: 2, CDF: 2, CHE: 2, CHF: 2, CHW: 2, CLF: 4, CLP: 0, CNY: 2, COP: 2, COU: 2, CRC: 2,
  CUP: 2, CVE: 2, CZK: 2,
  DJF: 0, DKK: 2, DOP: 2, DZD: 2,
  EGP: 2, ERN: 2, ETB: 2, EUR: 2,
  FJD: 2, FKP: 2,
  GBP: 2, GEL: 2, GHS: 2, GIP: 2, GMD: 2, GNF: 0, GTQ: 2, GYD: 2,
  HKD: 2, HNL: 2, HTG: 2, HUF: 2,
  IDR: 2, ILS: 2, INR: 2, IQD: 3, IRR: 2, ISK: 0,
  JMD: 2, JOD: 3, JPY: 0,
  KES: 2, KGS: 2, KHR: 2, KMF: 0, KPW: 2, KRW: 0, KWD: 3, KYD: 2, KZT: 2,
  LAK: 2, LBP: 2, LKR: 2, LRD: 2, LSL: 2, LYD: 3,
  MAD: 2, MDL: 2, MGA: 2, MKD: 2, MMK: 2, MNT: 2, MOP: 2, MRU: 2, MUR: 2, MVR: 2, MWK: 2,
  MXN: 2, MXV: 2, MYR: 2, MZN: 2,
  NAD: 2, NGN: 2, NIO: 2, NOK: 2, NPR: 2, NZD: 2,
  OMR: 3,
  PAB: 2, PEN: 2, PGK: 2, PHP: 2, PKR: 2, PLN: 2, PYG: 0,
  QAR: 2,
  RON: 2, RSD: 2, RUB: 2, RWF: 0,
  SAR: 2, SBD: 2, SCR: 2, SDG: 2, SEK: 2, SGD: 2, SHP: 2, SLE: 2, SOS: 2, SRD: 2, SSP: 2,
  STN: 2, SVC: 2, SYP: 2, SZL: 2,
  THB: 2, TJS: 2, TMT: 2, TND: 3, TOP: 2, TRY: 2, TTD: 2, TWD: 2, TZS: 2,
  UAH: 2, UGX: 0, USD: 2, USN: 2, UYI: 0, UYU: 2, UYW: 4, UZS: 2,
  VED: 2, VES: 2, VND: 0, VUV: 0,
  WST: 2,
  XAD: 2, XAF: 0, XCD: 2, XCG: 2, XOF: 0, XPF: 0,
  YER: 2,
  ZAR: 2, ZMW: 2, ZWG: 2,
});

/** Storage is NUMERIC(20,4): 16 integer digits fit; one is kept back so sums cannot overflow. */
export const MAX_INTEGER_DIGITS = 15;

/**
 * A decimal carries exactly through a JS double only up to 15 significant digits (DBL_DIG); a
 * longer JSON number may already have been rounded by JSON.parse, so it must come as a string.
 */
const MAX_NUMBER_SIGNIFICANT_DIGITS = 15;

const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;
const SIGNED_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

export type ParseAmountResult = { ok: true; value: string } | { ok: false; message: string };

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && Object.hasOwn(CURRENCY_DECIMALS, code);
}

/** Minor-unit digits of a currency; throws on an unknown code (a programming error by then). */
export function currencyDecimals(currency: string): number {
  // Own keys of the table are exactly the valid codes, so no pattern test on this hot path.
  if (!Object.hasOwn(CURRENCY_DECIMALS, currency)) {
    throw new RangeError(`unknown currency ${JSON.stringify(currency)}`);
  }
  return CURRENCY_DECIMALS[currency];
}

/**
 * Validates an amount from outside (a webhook body, a request DTO) and returns it canonical:
 * exactly the currency's decimals, no leading zeros. Never rounds: an amount that cannot be
 * represented exactly is refused with a message that says why.
 */
export function parseAmount(
  input: unknown,
  currency: string,
  opts: { allowZero?: boolean } = {},
): ParseAmountResult {
  if (!isCurrency(currency)) {
    return fail(`unknown currency ${JSON.stringify(currency)}: use an ISO 4217 code such as NGN`);
  }
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('must be a finite number');
    if (input < 0 || (input === 0 && !opts.allowZero)) return fail('must be greater than 0');
    text = String(input);
    if (text.includes('e')) {
      return fail('must be in plain decimal notation (send it as a string, e.g. "5000.00")');
    }
  } else if (typeof input === 'string') {
    const problem = stringProblem(input);
    if (problem) return fail(problem);
    text = input;
  } else {
    return fail('must be a number or a decimal string');
  }

  const [rawInteger, fraction = ''] = text.split('.');
  const decimals = CURRENCY_DECIMALS[currency];
  if (fraction.length > decimals) return fail(decimalsMessage(currency, decimals));
  const integer = rawInteger.replace(/^0+(?=\d)/, '');
  if (integer.length > MAX_INTEGER_DIGITS) {
    return fail(`must have at most ${MAX_INTEGER_DIGITS} digits before the decimal point`);
  }
  if (typeof input === 'number' && significantDigits(text) > MAX_NUMBER_SIGNIFICANT_DIGITS) {
    return fail(
      `has more than ${MAX_NUMBER_SIGNIFICANT_DIGITS} significant digits, which a JSON number ` +
        'cannot carry exactly; send it as a decimal string',
    );
  }
  const minor = BigInt(integer + fraction.padEnd(decimals, '0'));
  // Zero only where a source really books it (Up sends 0.00 transactions); never negative.
  if (minor === 0n && !opts.allowZero) return fail('must be greater than 0');
  return { ok: true, value: fromMinor(minor, currency) };
}

/**
 * Minor units of a decimal string. Accepts canonical strings and NUMERIC values as PostgreSQL
 * returns them ("5000.0000"): extra decimals are allowed only when they are zeros, so nothing is
 * ever rounded away silently. Throws on anything else, which by then is a bug, not user input.
 */
export function toMinor(value: string, currency: string): bigint {
  const decimals = currencyDecimals(currency);
  const match = SIGNED_DECIMAL.exec(value);
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const [, sign, integer, fraction = ''] = match;
  const kept = fraction.slice(0, decimals);
  if (/[^0]/.test(fraction.slice(decimals))) {
    throw new RangeError(`${value} has more precision than ${currency} allows (${decimals})`);
  }
  const minor = BigInt(integer + kept.padEnd(decimals, '0'));
  return sign === '-' ? -minor : minor;
}

/** Canonical decimal string of a minor-unit amount: "-12.50", "0.00", "100" (JPY). */
export function fromMinor(minor: bigint, currency: string): string {
  const decimals = currencyDecimals(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  const body = decimals === 0 ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return negative ? `-${body}` : body;
}

/** Re-formats a stored NUMERIC ("5000.0000") to the currency's canonical string ("5000.00"). */
/** A canonical or NUMERIC decimal string that is zero ("0", "0.00", "0.0000"). */
export function isZeroAmount(value: string): boolean {
  return /^0+(\.0+)?$/.test(value);
}

export function formatAmount(value: string, currency: string): string {
  return fromMinor(toMinor(value, currency), currency);
}

export function addMoney(a: string, b: string, currency: string): string {
  return fromMinor(toMinor(a, currency) + toMinor(b, currency), currency);
}

export function subMoney(a: string, b: string, currency: string): string {
  return fromMinor(toMinor(a, currency) - toMinor(b, currency), currency);
}

export function sumMoney(values: readonly string[], currency: string): string {
  return fromMinor(
    values.reduce((total, value) => total + toMinor(value, currency), 0n),
    currency,
  );
}

export function minMoney(a: string, b: string, currency: string): string {
  const x = toMinor(a, currency);
  const y = toMinor(b, currency);
  return fromMinor(x <= y ? x : y, currency);
}

export function compareMoney(a: string, b: string, currency: string): -1 | 0 | 1 {
  const x = toMinor(a, currency);
  const y = toMinor(b, currency);
  return x < y ? -1 : x > y ? 1 : 0;
}

function fail(message: string): ParseAmountResult {
  return { ok: false, message };
}

function stringProblem(input: string): string | null {
  if (input.length === 0) return 'must not be empty';
  if (PLAIN_DECIMAL.test(input)) return null;
  if (/\s/.test(input)) return 'must not contain spaces';
  if (/^[+-]/.test(input)) return 'must be a positive decimal without a sign';
  if (input.includes(',')) {
    return 'must use "." as the decimal separator and no thousands separators';
  }
  if (/^\d*\.?\d*[eE]/.test(input)) return 'must be written in plain decimal notation';
  return 'must be a plain decimal number such as "5000.00"';
}

function decimalsMessage(currency: string, decimals: number): string {
  if (decimals === 0) return `${currency} allows no decimal places`;
  return `${currency} allows at most ${decimals} decimal place${decimals === 1 ? '' : 's'}`;
}

function significantDigits(plain: string): number {
  return plain.replace('.', '').replace(/^0+/, '').length;
}
