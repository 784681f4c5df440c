/**
 * One transfer paying several invoices of one customer, without naming them: which sets of at
 * most `maxSize` open invoices add up to exactly the amount paid.
 *
 * The search is bounded twice. The service offers at most `MAX_PARTY_INVOICES` invoices of a
 * party (the oldest open ones: the ones a customer pays first), and the depth-first search below
 * visits at most `budget` nodes. C(40, 5) is 658 008 sets, but amounts sorted largest first let
 * most branches stop early (a set already over the amount, or one that cannot reach it with the
 * slots left). When the budget runs out the answer is `complete: false` and the caller proposes no
 * set at all: an incomplete search cannot tell whether a second set also fits, and without that
 * the "no close second" guard of automatic matching would be blind.
 */

export const MAX_SUBSET_SIZE = 5;
export const MAX_PARTY_INVOICES = 40;
export const SUBSET_SEARCH_BUDGET = 200_000;

export interface SubsetItem {
  id: string;
  /** Outstanding amount in minor units, > 0. */
  minor: bigint;
}

export interface SubsetResult {
  /** Sets of ids (2..maxSize of them) summing to the target, at most `maxSets`. */
  sets: string[][];
  /**
   * False when the budget ran out first: sets may exist that were not found. (Stopping at
   * `maxSets` is complete enough: there is more than one set, which is what the guard needs.)
   */
  complete: boolean;
}

export function findSubsets(
  target: bigint,
  items: readonly SubsetItem[],
  options: { maxSize?: number; maxSets?: number; budget?: number } = {},
): SubsetResult {
  const maxSize = options.maxSize ?? MAX_SUBSET_SIZE;
  const maxSets = options.maxSets ?? 3;
  let budget = options.budget ?? SUBSET_SEARCH_BUDGET;
  const usable = items
    .filter((item) => item.minor > 0n && item.minor <= target)
    .sort((a, b) => (a.minor > b.minor ? -1 : a.minor < b.minor ? 1 : a.id < b.id ? -1 : 1));
  const sets: string[][] = [];
  const chosen: number[] = [];
  let complete = true;

  /** Tries every set extending `chosen` with items from `start` on; false means stop searching. */
  const visit = (start: number, sum: bigint): boolean => {
    for (let i = start; i < usable.length; i++) {
      if (--budget < 0) {
        complete = false;
        return false;
      }
      const next = sum + usable[i].minor;
      if (next > target) continue; // a smaller item further on may still fit
      const slotsLeft = maxSize - chosen.length - 1;
      // Items are sorted largest first: if this one with the largest possible rest cannot reach
      // the target, no later (smaller) one can.
      if (next < target && next + BigInt(slotsLeft) * usable[i].minor < target) return true;
      chosen.push(i);
      const go = next === target ? record() : visit(i + 1, next);
      chosen.pop();
      if (!go) return false;
    }
    return true;
  };
  const record = (): boolean => {
    if (chosen.length < 2) return true; // one invoice alone is the "amount" candidate, not a set
    sets.push(chosen.map((k) => usable[k].id));
    return sets.length < maxSets;
  };
  visit(0, 0n);
  return { sets, complete };
}
