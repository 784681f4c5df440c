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
  // Sums of at most two amounts up to the target are exact in a double below 2^52 minor units
  // (45 trillion in a currency of cents); a larger payment is not searched at all.
  if (target > MAX_EXACT_TARGET) return { sets: [], complete: false };
  const goal = Number(target);
  const usable = items
    .filter((item) => item.minor > 0n && item.minor <= target)
    .sort((a, b) => (a.minor > b.minor ? -1 : a.minor < b.minor ? 1 : a.id < b.id ? -1 : 1));
  // The pruning bound sums all usable amounts (each at most the target): exact in a double only
  // while that total stays below 2^53, whatever the number of invoices.
  if (target * BigInt(usable.length) > 2n ** 53n) return { sets: [], complete: false };
  const values = usable.map((item) => Number(item.minor));
  // prefix[k]: the sum of the k largest amounts; the best `n` from i on sum to prefix[i+n]-prefix[i].
  const prefix = [0];
  for (const v of values) prefix.push(prefix[prefix.length - 1] + v);
  const sets: string[][] = [];
  const chosen: number[] = [];
  let complete = true;

  /** The first index from `start` whose amount is at most `rest` (amounts are descending). */
  const firstFitting = (start: number, rest: number): number => {
    let lo = start;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] > rest) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  /** Tries every set extending `chosen` with items from `start` on; false means stop searching. */
  const visit = (start: number, sum: number): boolean => {
    const slots = maxSize - chosen.length;
    // An amount that found no set here: a later one equal to it cannot either (it has fewer
    // items after it to combine with, all of which the first one had).
    let fruitless = -1;
    for (let i = firstFitting(start, goal - sum); i < values.length; i++) {
      if (--budget < 0) {
        complete = false;
        return false;
      }
      // The largest amounts left, as many as the slots allow, fall short: so does every later
      // (smaller) choice.
      if (sum + prefix[Math.min(i + slots, values.length)] - prefix[i] < goal) return true;
      if (values[i] === fruitless) continue;
      const next = sum + values[i];
      const found = sets.length;
      chosen.push(i);
      const go = next === goal ? record() : slots > 1 ? visit(i + 1, next) : true;
      chosen.pop();
      if (!go) return false;
      fruitless = sets.length === found ? values[i] : -1;
    }
    return true;
  };
  const record = (): boolean => {
    if (chosen.length < 2) return true; // one invoice alone is the "amount" candidate, not a set
    sets.push(chosen.map((k) => usable[k].id));
    return sets.length < maxSets;
  };
  visit(0, 0);
  return { sets, complete };
}

const MAX_EXACT_TARGET = 2n ** 51n;
