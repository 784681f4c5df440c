import { Injectable } from '@nestjs/common';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const WINDOW_MS = 250;
/** Event loop busier than this over a window, with deliveries arriving: saturated. */
const BUSY_UTILIZATION = 0.7;
/** Deliveries per window below which the instance is not under a burst (~100/s). */
const MIN_DELIVERIES = 25;
/**
 * Webhook deliveries in the service at once, on average over a window (Little's law: the time
 * the answers of the window took, over the window's length): at least this many and banks are
 * waiting on this instance many at a time, which is what a burst is from their side (32
 * connections, say). A steady stream below capacity has a few in at a time (its rate times an
 * answer of a few ms), however busy the background work keeps the loop. Counted as banks see
 * it, so a slow stretch of the host does not make a burst look smaller: when the background
 * slows the answers, more are in at once, and the background gives way.
 */
const BURST_IN_FLIGHT = 16;

/**
 * Whether this instance is busy with foreground work right now: saturated by webhook
 * deliveries (its loop busy, and deliveries in it many at a time), or
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
  private burst = false;
  private runs = 0;
  private answeredMs = 0;

  /** Counts one webhook delivery received. */
  delivered(): void {
    this.deliveries++;
  }

  /** A webhook request was answered `ms` after it started (any status). */
  answered(ms: number): void {
    this.answeredMs += ms;
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
    this.advance();
    return this.saturated;
  }

  /**
   * Whether banks are waiting on this instance many at a time (a burst, as `isBusy` counts
   * one), however busy the loop: a statement upload's database work slows webhook commits
   * without keeping this loop busy, so it gives way on this alone.
   */
  webhooksWaiting(): boolean {
    this.advance();
    return this.burst;
  }

  private advance(): void {
    const now = this.now();
    if (this.sample === null) {
      this.sample = this.utilization();
      this.sampledAt = now;
      return;
    }
    if (now - this.sampledAt >= WINDOW_MS) {
      const next = this.utilization();
      const busy = next.active - this.sample.active;
      const total = busy + next.idle - this.sample.idle;
      const perWindow = (this.deliveries * WINDOW_MS) / (now - this.sampledAt);
      this.burst =
        perWindow >= MIN_DELIVERIES && this.answeredMs >= BURST_IN_FLIGHT * (now - this.sampledAt);
      this.saturated = total > 0 && busy / total >= BUSY_UTILIZATION && this.burst;
      this.sample = next;
      this.sampledAt = now;
      this.deliveries = 0;
      this.answeredMs = 0;
    }
  }

  protected now(): number {
    return performance.now();
  }

  protected utilization(): EventLoopUtilization {
    return performance.eventLoopUtilization();
  }
}
