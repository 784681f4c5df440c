/** A flush's result for one item that failed alone: that item's caller gets `error`. */
export class ItemFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Group commit: callers submit one item each and wait for their own result, while the items
 * that arrive during a flush are written together by the next one. Under load this turns
 * hundreds of single-row transactions into a few multi-row ones (one fsync each); when idle,
 * an item is flushed at once, alone, with no added delay.
 */
export class GroupCommitter<T, R> {
  private queue: Array<{ item: T; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];
  private inflight = 0;

  /**
   * @param maxConcurrent flushes in flight at most
   * @param minExtraBatch a flush beyond the first in flight starts only with this many items
   *   waiting: overlapping round trips hide latency, but not at the price of tiny batches
   */
  constructor(
    private readonly flush: (items: T[]) => Promise<Array<R | ItemFailure>>,
    private readonly maxBatch: number,
    private readonly maxConcurrent: number,
    private readonly minExtraBatch = 1,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (
      this.queue.length > 0 &&
      (this.inflight === 0 ||
        (this.inflight < this.maxConcurrent && this.queue.length >= this.minExtraBatch))
    ) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inflight++;
      this.flush(batch.map((b) => b.item))
        .then(
          (results) =>
            batch.forEach((b, i) => {
              const result = results[i];
              if (result instanceof ItemFailure) b.reject(result.error);
              else b.resolve(result);
            }),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.inflight--;
          this.kick();
        });
    }
  }
}
