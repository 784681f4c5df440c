import { GroupCommitter, ItemFailure } from './group-commit';

describe('GroupCommitter', () => {
  it('flushes a lone item at once and batches what arrives during a flush', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommitter<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
        return items.map((i) => i * 10);
      },
      100,
      1,
    );
    const first = gc.submit(1);
    const rest = [2, 3, 4].map((i) => gc.submit(i));
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects every item of a failed batch and keeps serving later ones', async () => {
    let fail = true;
    const gc = new GroupCommitter<number, number>(
      async (items) => {
        if (fail) throw new Error('db down');
        return items;
      },
      10,
      2,
    );
    await expect(gc.submit(1)).rejects.toThrow('db down');
    fail = false;
    await expect(gc.submit(2)).resolves.toBe(2);
  });

  it('rejects only the item a flush reports as failed', async () => {
    const gc = new GroupCommitter<number, number>(
      async (items) => items.map((i) => (i < 0 ? new ItemFailure(new Error(`bad ${i}`)) : i)),
      10,
      1,
    );
    const results = await Promise.allSettled([1, -2, 3].map((i) => gc.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('bad -2'));
  });

  it('never puts more than maxBatch items in one flush', async () => {
    const sizes: number[] = [];
    const gc = new GroupCommitter<number, number>(
      async (items) => {
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 5));
        return items;
      },
      3,
      1,
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('starts a second flush in flight only once minExtraBatch items wait', async () => {
    const batches: number[][] = [];
    const gates: Array<() => void> = [];
    const gc = new GroupCommitter<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((r) => gates.push(r));
        return items;
      },
      100,
      2,
      3,
    );
    const all = [gc.submit(1)]; // flushed alone at once
    all.push(gc.submit(2), gc.submit(3)); // 2 waiting: not enough for a second flush
    expect(batches).toEqual([[1]]);
    all.push(gc.submit(4)); // 3 waiting: the second flush starts while the first is in flight
    expect(batches).toEqual([[1], [2, 3, 4]]);
    all.push(gc.submit(5)); // 2 in flight: waits for one of them
    expect(batches).toHaveLength(2);
    gates[0]();
    await all[0];
    await new Promise((r) => setImmediate(r));
    // One still in flight and a single item waiting: it waits rather than go alone beside it.
    expect(batches).toHaveLength(2);
    gates[1]();
    await all[1];
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
    gates[2]();
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5]);
  });
});
