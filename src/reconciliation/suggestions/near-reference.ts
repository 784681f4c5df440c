/**
 * References one slip away from an invoice number: a typo, two letters swapped, O for 0, I or l
 * for 1, a digit too many or too few. Keys are normalized invoice numbers
 * (`normalizeInvoiceNumber`: lower case, no separators).
 *
 * Finding them among a million invoices without comparing against each one: every key is indexed
 * under itself and each string one deletion away from it (the symmetric-delete idea of SymSpell).
 * Two strings at most one edit apart (substitution, insertion, deletion, adjacent transposition)
 * always share one of those keys, so a lookup of a reference's keys finds every near invoice;
 * `nearKind` then confirms the distance, because sharing a key is necessary, not sufficient.
 */

/** Shorter keys are one edit away from too much ("inv1" from "inv2", "inv11", "in1"...). */
export const MIN_NEAR_KEY_LENGTH = 5;
/** Longer ones are not invoice numbers (and would make many lookup keys). */
export const MAX_NEAR_KEY_LENGTH = 32;

export type NearKind = 'confusable' | 'one_edit';

/** O and 0, I and l and 1 read alike: a reference that differs only there is "confusable". */
function foldConfusables(key: string): string {
  return key.replace(LETTER_O, '0').replace(LETTER_I_L, '1');
}
const LETTER_O = /o/g;
const LETTER_I_L = /[il]/g;

/** A key worth a near-miss search: long enough, and with a digit (invoice numbers have one). */
export function isNearCandidate(key: string): boolean {
  return key.length >= MIN_NEAR_KEY_LENGTH && key.length <= MAX_NEAR_KEY_LENGTH && /\d/.test(key);
}

/**
 * The lookup keys of a normalized number or reference key: the key itself (confusables folded)
 * and every string one deletion away from it. Both sides (invoices indexed, references looked up)
 * use this function.
 */
export function deletionKeys(key: string): string[] {
  const folded = foldConfusables(key);
  const keys = new Set<string>([folded]);
  for (let i = 0; i < folded.length; i++) keys.add(folded.slice(0, i) + folded.slice(i + 1));
  return [...keys];
}

/**
 * How `reference` is near `number` (both normalized), or null when they are equal or more than
 * one slip apart: "confusable" when they differ only where O/0 or I/l/1 read alike ("inv-1O01" is
 * a misread "INV-1001", however many such letters), "one_edit" for one typo, swap, extra or
 * missing character. A misreading and a typo together are two slips: "INV-1O02" is not near
 * INV-1001. (Folded keys find every such pair, because folding maps characters one to one.)
 */
export function nearKind(reference: string, number: string): NearKind | null {
  // Folding keeps the length, and one slip changes it by one at most.
  if (reference === number || Math.abs(reference.length - number.length) > 1) return null;
  if (foldConfusables(reference) === foldConfusables(number)) return 'confusable';
  return withinOneEdit(reference, number) ? 'one_edit' : null;
}

/** Optimal string alignment distance ≤ 1, in one pass: differing strings only. */
function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    // One substitution, or two neighbours swapped.
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  // One character more in the longer one.
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short.slice(i) === long.slice(i + 1);
}
