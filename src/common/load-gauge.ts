import { Injectable } from '@nestjs/common';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

const WINDOW_MS = 250;
/** Event loop busier than this over a window, with deliveries arriving: saturated. */
const BUSY_UTILIZATION = 0.7;
/** Deliveries per window below which the instance is not under a burst (~100/s). */
const MIN_DELIVERIES = 25;

/**
 * Whether this instance is saturated by webhook deliveries right now. Background loops ask it
 * before each batch: while banks are being answered as fast as the process can, a batch of
 * processing or relaying would only make those answers slower, and banks that time out retry,
 * which adds load. The queue is durable (PENDING rows, undispatched outbox rows), so deferring
 * a batch loses nothing; see `BackgroundLoop` for the bound on how long.
 */
@Injectable()
export class LoadGauge {
  private sample: EventLoopUtilization | null = null;
  private sampledAt = 0;
  private deliveries = 0;
  private saturated = false;

  /** Counts one webhook delivery received. */
  delivered(): void {
    this.deliveries++;
  }

  isSaturated(): boolean {
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
