import { findSubsets } from './subset-sum';

const items = (amounts: number[]): Array<{ id: string; minor: bigint }> =>
  amounts.map((a, i) => ({ id: `i${i}`, minor: BigInt(a) }));

describe('subset sums', () => {
  it('finds the sets of 2..5 invoices that add up exactly', () => {
    const found = findSubsets(600n, items([100, 200, 300, 450]));
    expect(found.complete).toBe(true);
    expect(found.sets.map((s) => [...s].sort())).toEqual(
      expect.arrayContaining([['i0', 'i1', 'i2']]),
    );
    expect(found.sets).toHaveLength(1);
  });

  it('never offers one invoice alone, nor more than five', () => {
    expect(findSubsets(450n, items([450, 10])).sets).toEqual([]);
    expect(findSubsets(6n, items([1, 1, 1, 1, 1, 1])).sets).toEqual([]);
    expect(findSubsets(5n, items([1, 1, 1, 1, 1, 1])).sets.length).toBeGreaterThan(0);
  });

  it('reports more than one set (two invoices with the same amount)', () => {
    const found = findSubsets(300n, items([100, 200, 200]));
    expect(found.sets).toHaveLength(2);
  });

  it('stops at maxSets, still complete: more than one set is all the guard needs', () => {
    const found = findSubsets(2n, items(Array(10).fill(1)), { maxSets: 3 });
    expect(found.sets).toHaveLength(3);
    expect(found.complete).toBe(true);
  });

  it('says so when the budget ran out before the search ended', () => {
    // Five of these sum to 5000 + 7k: 5003 is never reached, and the search must look.
    const many = items(Array.from({ length: 40 }, (_, i) => 1000 + i * 7));
    expect(findSubsets(5003n, many, { budget: 1000 })).toEqual({ sets: [], complete: false });
    // With the default budget a party of 12 invoices is searched to the end.
    expect(findSubsets(5003n, many.slice(0, 12))).toEqual({ sets: [], complete: true });
  });

  it('ignores invoices larger than the amount and amounts of zero', () => {
    const found = findSubsets(300n, items([0, 100, 200, 5000]));
    expect(found.sets).toEqual([['i2', 'i1']]);
  });
});

describe('subset sums: the bounds', () => {
  it('finds sets of exactly five, never six', () => {
    const found = findSubsets(15n, items([1, 2, 3, 4, 5]));
    expect(found.sets).toEqual([['i4', 'i3', 'i2', 'i1', 'i0']]);
    expect(findSubsets(21n, items([1, 2, 3, 4, 5, 6])).sets).toEqual([]);
    expect(findSubsets(6n, items([1, 2, 3]), { maxSize: 2 }).sets).toEqual([]);
    expect(findSubsets(5n, items([1, 2, 3]), { maxSize: 2 }).sets).toEqual([['i2', 'i1']]);
  });

  it('finds a set that needs the small amounts after large ones that do not fit', () => {
    // Largest first: 900 and 800 overshoot with anything, the answer is among the small ones.
    const found = findSubsets(60n, items([900, 800, 50, 30, 10, 20]));
    expect(found.sets.map((s) => [...s].sort())).toEqual(
      [
        ['i2', 'i4'],
        ['i3', 'i5', 'i4'],
      ].map((s) => s.sort()),
    );
  });

  it('reports every set of equal amounts up to maxSets, not just the first', () => {
    const found = findSubsets(20n, items([10, 10, 10]), { maxSets: 5 });
    expect(found.sets.map((s) => [...s].sort())).toEqual([
      ['i0', 'i1'],
      ['i0', 'i2'],
      ['i1', 'i2'],
    ]);
    expect(found.complete).toBe(true);
  });

  it('searches to the end when the largest amounts can just reach the target', () => {
    // 40 + 30 + 20 + 10 + 5 = 105: only all five reach it.
    const found = findSubsets(105n, items([40, 30, 20, 10, 5, 1]));
    expect(found).toEqual({ sets: [['i0', 'i1', 'i2', 'i3', 'i4']], complete: true });
    expect(findSubsets(106n, items([40, 30, 20, 10, 5, 1]))).toEqual({ sets: [], complete: true });
  });

  it('counts the budget in items tried: exactly enough completes, one fewer does not', () => {
    // 3 + 2: tried 3 (then 2 with it: a set), 2, 1: the search tries few items.
    const small = items([3, 2, 1]);
    let needed = 0;
    for (let b = 1; b < 50; b++) {
      if (findSubsets(5n, small, { budget: b }).complete) {
        needed = b;
        break;
      }
    }
    expect(needed).toBeGreaterThan(1);
    expect(findSubsets(5n, small, { budget: needed })).toEqual({
      sets: [['i0', 'i1']],
      complete: true,
    });
    expect(findSubsets(5n, small, { budget: needed - 1 }).complete).toBe(false);
  });

  it('does not search a payment too large to sum exactly', () => {
    expect(
      findSubsets(2n ** 52n, [
        { id: 'a', minor: 2n ** 51n },
        { id: 'b', minor: 2n ** 51n },
      ]),
    ).toEqual({
      sets: [],
      complete: false,
    });
    expect(
      findSubsets(2n ** 51n, [
        { id: 'a', minor: 2n ** 50n },
        { id: 'b', minor: 2n ** 50n },
      ]).sets,
    ).toEqual([['a', 'b']]);
  });

  it('searches 40 invoices of different amounts to the end within the default budget', () => {
    const many = items(Array.from({ length: 40 }, (_, k) => 500_000 + ((7 + 97 * k) % 100) * 1000));
    expect(findSubsets(1_750_001n, many)).toEqual({ sets: [], complete: true });
  });
});
