/**
 * Write-off rules: a payment short of an invoice's outstanding amount by no more than a rule
 * allows pays it in full, and the difference is written off for the rule's reason (a bank fee
 * deducted on the way, rounding, an FX difference, an early-payment discount). Pure.
 */
import { toMinor } from '../../common/money';

export const WRITE_OFF_REASONS = [
  'bank_fee',
  'rounding',
  'fx_difference',
  'discount',
  'other',
] as const;
export type WriteOffReason = (typeof WRITE_OFF_REASONS)[number];

export interface WriteOffRule {
  id: string;
  name: string;
  currency: string;
  /** Largest shortfall the rule writes off, a decimal string in `currency`. */
  maxAmount: string;
  /** When set, the shortfall is also at most this percentage of the outstanding amount. */
  maxPercent: string | null;
  reason: WriteOffReason;
}

/**
 * The rule that writes off `shortfall` (> 0) of `outstanding`, or null. Of several that would,
 * the tightest (smallest `maxAmount`, then id) is taken, so adding a broad rule never changes what
 * a narrow one decides.
 */
export function writeOffRuleFor(
  shortfall: string,
  outstanding: string,
  currency: string,
  rules: readonly WriteOffRule[],
): WriteOffRule | null {
  const short = toMinor(shortfall, currency);
  const due = toMinor(outstanding, currency);
  if (short <= 0n || short >= due) return null;
  let best: WriteOffRule | null = null;
  let bestMax = 0n;
  for (const rule of rules) {
    if (rule.currency !== currency) continue;
    const max = toMinor(rule.maxAmount, currency);
    if (short > max) continue;
    if (rule.maxPercent !== null && !withinPercent(short, due, rule.maxPercent)) continue;
    if (best === null || max < bestMax || (max === bestMax && rule.id < best.id)) {
      best = rule;
      bestMax = max;
    }
  }
  return best;
}

/** short / due ≤ percent / 100, exactly: both sides scaled to integers. */
function withinPercent(short: bigint, due: bigint, percent: string): boolean {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(percent);
  if (!match) throw new RangeError(`not a percentage: ${JSON.stringify(percent)}`);
  const fraction = match[2] ?? '';
  const scaled = BigInt(match[1] + fraction); // percent × 10^fraction.length
  const scale = 10n ** BigInt(fraction.length);
  return short * 100n * scale <= due * scaled;
}
