import { MAX_KEY_TOKENS } from '../reconciliation/matcher';

/**
 * Letters (with their combining marks) and digits, in at most MAX_KEY_TOKENS groups joined by
 * the separators the matcher ignores: anything else could never be found in a bank text, so it
 * is refused at creation rather than left as an invoice no payment can reach.
 */
const SHAPE = /^[\p{L}\p{M}\p{N}]+(?:[ \-_/.]+[\p{L}\p{M}\p{N}]+)*$/u;
const TOKENS = /[\p{L}\p{M}\p{N}]+/gu;

export const MAX_INVOICE_NUMBER_LENGTH = 64;

/** Why an invoice number cannot be used, or null when it can. */
export function invoiceNumberProblem(number: string): string | null {
  if (number.length === 0 || number.length > MAX_INVOICE_NUMBER_LENGTH) {
    return `must be 1 to ${MAX_INVOICE_NUMBER_LENGTH} characters`;
  }
  if (!SHAPE.test(number)) {
    return 'may contain only letters, digits and the separators space - _ / . (not at either end)';
  }
  if ((number.match(TOKENS) ?? []).length > MAX_KEY_TOKENS) {
    return `may have at most ${MAX_KEY_TOKENS} groups of letters and digits (e.g. INV-2026-03-001)`;
  }
  return null;
}
