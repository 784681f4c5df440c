import { Injectable } from '@nestjs/common';

/**
 * Wakes this instance's worker as soon as intake commits new work, instead of waiting for the
 * next poll. Other instances find the work by polling; correctness never depends on it.
 */
@Injectable()
export class WorkSignal {
  private waiter: (() => void) | null = null;
  private pending = false;

  notify(): void {
    this.wakeHere();
  }

  /** Wakes the loop waiting here only (subclasses may tell others too in `notify`). */
  wakeHere(): void {
    if (this.waiter) {
      const wake = this.waiter;
      this.waiter = null;
      wake();
    } else {
      this.pending = true;
    }
  }

  /** Resolves on the next notify() or after `ms`, whichever is first. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
