import { Injectable } from '@nestjs/common';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const WINDOW_MS = 250;
/** Event loop busier than this over a window, with deliveries arriving: saturated. */
const BUSY_UTILIZATION = 0.7;
/** Deliveries per window below which the instance is not under a burst (~100/s). */
const MIN_DELIVERIES = 25;

/**
 * Whether this instance is busy with foreground work right now: saturated by webhook
 * deliveries, or running a reconciliation. Background loops ask it before each batch: while
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
      this.saturated =
        total > 0 && busy / total >= BUSY_UTILIZATION && this.deliveries >= MIN_DELIVERIES;
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
