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
