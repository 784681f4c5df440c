import type { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { WorkSignal } from './work-signal';
import type { AppConfig } from '../config/config';
import type { LoadGauge } from './load-gauge';

const DEFER_STEP_MS = 50;

/** Gives way to foreground work: wait while `gauge` says busy, at most `maxDeferMs`. */
export interface YieldOptions {
  gauge: LoadGauge;
  maxDeferMs: number;
}

/** How long an idle loop sleeps when nothing wakes it: BACKGROUND_POLL_MS, else its own. */
export function pollMs(config: AppConfig, ownMs: number): number {
  return config.backgroundPollMs ?? ownMs;
}

/** The give-way settings every background loop of the service uses. */
export function yieldTo(gauge: LoadGauge, config: AppConfig): YieldOptions {
  return { gauge, maxDeferMs: config.backgroundMaxDeferMs };
}

/**
 * Waits for every item of a batch, then fails with the first error if any. `Promise.all` fails
 * at the first one while the others still run: the loop would go on (or shutdown close the
 * pool) with writes of the same batch still in flight.
 */
export async function settleAll(work: Array<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * A background loop of one instance: `tick()` does one batch and says how much it did; when it
 * did nothing the loop sleeps until woken or `idleMs` passes. Errors (the database away) are
 * logged and waited out; the loop never crashes the process. Shutdown waits for the batch in
 * hand, so nothing claimed is abandoned mid-write by an orderly stop.
 *
 * With `giveWayTo`, a batch waits while the instance is busy (a webhook burst, a run), but
 * never longer than `maxDeferMs`: under a burst the loop still does one batch per
 * `maxDeferMs`, and catches up at full speed once the burst is over.
 */
export abstract class BackgroundLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  protected abstract readonly logger: Logger;
  private running = false;
  private loop: Promise<void> | null = null;

  /**
   * @param lingerMs after a batch smaller than `fullBatch`, wait as long as that batch took, at
   *   most this long, before the next one: under a steady stream of work batches grow instead of
   *   every commit waking a batch of a few rows (per-batch statements are the cost), and the
   *   loop spends at most about half its time in statements, while a payment waits a few ms per
   *   stage instead of a fixed linger (a 100 ms linger per stage was most of the time to money
   *   at low rates, bench/RESULTS.md).
   */
  protected constructor(
    private readonly enabled: boolean,
    private readonly wake: WorkSignal,
    private readonly idleMs: number,
    private readonly fullBatch = Number.POSITIVE_INFINITY,
    private readonly lingerMs = 0,
    private readonly giveWayTo: YieldOptions | null = null,
  ) {}

  /** Shutdown has begun: a tick doing several batches stops taking more. */
  protected get stopping(): boolean {
    return !this.running;
  }

  /** One batch; returns how many items it handled (0: nothing due). */
  abstract tick(): Promise<number>;

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    // This loop only: stopping is no news for the other instances.
    this.wake.wakeHere();
    await this.loop;
  }

  private async giveWay(): Promise<void> {
    if (!this.giveWayTo || this.giveWayTo.maxDeferMs <= 0) return;
    const { gauge, maxDeferMs } = this.giveWayTo;
    for (let waited = 0; waited < maxDeferMs && this.running && gauge.isBusy();) {
      await new Promise((resolve) => setTimeout(resolve, DEFER_STEP_MS));
      waited += DEFER_STEP_MS;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.giveWay();
        if (!this.running) break;
        const started = performance.now();
        const handled = await this.tick();
        const linger = Math.min(this.lingerMs, performance.now() - started);
        if (handled === 0) await this.wake.wait(this.idleMs);
        else if (handled < this.fullBatch && linger >= 1 && this.running) {
          await new Promise((resolve) => setTimeout(resolve, linger));
        }
      } catch (err) {
        this.logger.warn(`${err instanceof Error ? err.message : String(err)}`);
        await this.wake.wait(this.idleMs);
      }
    }
  }
}
