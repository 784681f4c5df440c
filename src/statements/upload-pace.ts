import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { LoadGauge } from '../common/load-gauge';

/** Longest stretch of reading a file before the event loop takes its other work. */
const SLICE_MS = 10;
/** While webhooks wait on this instance, the upload rests this many times as long as it worked. */
const REST_FACTOR = 2;

/**
 * How an upload shares the instance with webhooks. Parsing runs on the loop that answers
 * webhooks, and nothing in it waits long (the COPY takes the rows as fast as they come), so
 * without turns a 50 MiB file held the webhooks off for its whole read (3 deliveries/s,
 * bench/RESULTS.md). Every `SLICE_MS` it lets the loop run what is due; and while a burst of
 * webhooks waits (`LoadGauge.webhooksWaiting`), it rests twice as long as it worked, reading and
 * writing the database alike (a chunk's statement, seconds of it, rests up to `maxRestMs`,
 * BACKGROUND_MAX_DEFER_MS): a statement is a batch an operator waits for, a webhook a bank.
 */
export class UploadPace {
  private since = performance.now();

  constructor(
    private readonly gauge: LoadGauge,
    private readonly maxRestMs: number,
  ) {}

  /** The current slice is used up: call `rest()`. Cheap, for every entry. */
  due(): boolean {
    return performance.now() - this.since >= SLICE_MS;
  }

  /** A turn of the event loop, and a rest while webhooks wait. */
  async rest(): Promise<void> {
    const worked = performance.now() - this.since;
    await nextTurn();
    if (this.maxRestMs > 0 && this.gauge.webhooksWaiting()) {
      await sleep(Math.min(worked * REST_FACTOR, this.maxRestMs));
    }
    this.since = performance.now();
  }
}
