import { Injectable } from '@nestjs/common';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const WINDOW_MS = 250;
/** Event loop busier than this over a window, with deliveries arriving: saturated. */
const BUSY_UTILIZATION = 0.7;
/** Deliveries per window below which the instance is not under a burst (~100/s). */
const MIN_DELIVERIES = 25;
/**
 * Deliveries in a window at least this share of the most this instance has answered in one: it
 * is answering as fast as it can, which is what a burst above its capacity looks like. A steady
 * stream below capacity is not a burst, however busy the background work keeps the loop.
 */
const PEAK_SHARE = 0.8;
/** The most answered decays by this factor per window (half in ~3.5 min): a slower host or a
 * heavier mix of deliveries is learned again. */
const PEAK_DECAY = 0.9992;

/**
 * Whether this instance is busy with foreground work right now: saturated by webhook
 * deliveries (its loop busy and deliveries arriving at about the most it has ever answered), or
 * running a reconciliation. The loop's business alone says little: the background work itself
 * keeps it busy at a fraction of the intake's capacity, and deferring it there starved the
 * pipeline (time to money, bench/RESULTS.md). Background loops ask it before each batch: while
 * banks are being answered as fast as the process can, a batch of processing or relaying would
 * only make those answers slower (and banks that time out retry, which adds load); during a
 * run, the relay's work on the events the run writes would only make the run slower. The queues
 * are durable (PENDING rows, undispatched outbox rows), so deferring a batch loses nothing; see
 * `BackgroundLoop` for the bound on how long.
 */
@Injectable()
export class LoadGauge {
  private sample: EventLoopUtilization | null = null;
  private sampledAt = 0;
  private deliveries = 0;
  private saturated = false;
  private runs = 0;
  private peak = 0;

  /** Counts one webhook delivery received. */
  delivered(): void {
    this.deliveries++;
  }

  /** A reconciliation run started here; call the returned function when it has ended. */
  runStarted(): () => void {
    this.runs++;
    let ended = false;
    return () => {
      if (!ended) this.runs--;
      ended = true;
    };
  }

  isBusy(): boolean {
    if (this.runs > 0) return true;
    const now = this.now();
    if (this.sample === null) {
      this.sample = this.utilization();
      this.sampledAt = now;
      return false;
    }
    if (now - this.sampledAt >= WINDOW_MS) {
      const next = this.utilization();
      const busy = next.active - this.sample.active;
      const total = busy + next.idle - this.sample.idle;
      // Per window of WINDOW_MS, so that a long gap between two looks compares like with like.
      const perWindow = (this.deliveries * WINDOW_MS) / (now - this.sampledAt);
      this.peak = Math.max(
        perWindow,
        this.peak * PEAK_DECAY ** ((now - this.sampledAt) / WINDOW_MS),
      );
      this.saturated =
        total > 0 &&
        busy / total >= BUSY_UTILIZATION &&
        perWindow >= MIN_DELIVERIES &&
        perWindow >= PEAK_SHARE * this.peak;
      this.sample = next;
      this.sampledAt = now;
      this.deliveries = 0;
    }
    return this.saturated;
  }

  protected now(): number {
    return performance.now();
  }

  protected utilization(): EventLoopUtilization {
    return performance.eventLoopUtilization();
  }
}
