import type { EventLoopUtilization } from 'node:perf_hooks';
import { LoadGauge } from './load-gauge';

/** A gauge on a hand-driven clock and event loop. */
class FakeGauge extends LoadGauge {
  clock = 0;
  active = 0;
  idle = 0;

  /** `ms` pass with the loop busy this fraction of them. */
  pass(ms: number, busy: number): void {
    this.clock += ms;
    this.active += ms * busy;
    this.idle += ms * (1 - busy);
  }

  protected override now(): number {
    return this.clock;
  }

  protected override utilization(): EventLoopUtilization {
    return { active: this.active, idle: this.idle, utilization: 0 };
  }
}

describe('LoadGauge', () => {
  it('is saturated only when the loop is busy and deliveries keep arriving', () => {
    const g = new FakeGauge();
    expect(g.isBusy()).toBe(false); // first sample

    // Busy, with a burst of deliveries (each finding 20 others waiting for their commit).
    g.pass(300, 0.95);
    for (let i = 0; i < 100; i++) {
      g.delivered();
      g.answered(60);
    }
    expect(g.isBusy()).toBe(true);
    // Within the window the answer is kept.
    g.pass(100, 0.1);
    expect(g.isBusy()).toBe(true);

    // Busy, but no deliveries: background work itself is what keeps the loop busy.
    g.pass(300, 0.99);
    expect(g.isBusy()).toBe(false);

    // Deliveries, but the loop has room.
    g.pass(300, 0.5);
    for (let i = 0; i < 100; i++) {
      g.delivered();
      g.answered(60);
    }
    expect(g.isBusy()).toBe(false);

    // A trickle of deliveries on a busy loop is not a burst.
    g.pass(300, 0.95);
    for (let i = 0; i < 5; i++) g.delivered();
    expect(g.isBusy()).toBe(false);
  });

  it('is saturated when deliveries are in it many at a time, not by a steady stream', () => {
    const g = new FakeGauge();
    g.isBusy();
    /** A window of 250 ms: `n` deliveries, each answered in `ms`, the loop 95 % busy. */
    const window = (n: number, ms: number): boolean => {
      g.pass(250, 0.95);
      for (let i = 0; i < n; i++) {
        g.delivered();
        g.answered(ms);
      }
      return g.isBusy();
    };
    // A steady stream at half the capacity: as busy a loop (background work), answers in 4 ms,
    // so about 7 deliveries in at a time.
    expect(window(450, 4)).toBe(false);
    // A burst from 32 connections: answers take 32 / rate.
    expect(window(900, 32 / 3.6)).toBe(true);
    // The same burst on a host twice as slow is as much a burst.
    expect(window(450, 32 / 1.8)).toBe(true);
    // Just under 16 at a time, and at it.
    expect(window(1000, 3.9)).toBe(false);
    expect(window(1000, 4)).toBe(true);
  });

  it('is busy for as long as a reconciliation run is in progress', () => {
    const g = new FakeGauge();
    const end = g.runStarted();
    expect(g.isBusy()).toBe(true);
    g.pass(1000, 0);
    expect(g.isBusy()).toBe(true);
    end();
    end(); // idempotent
    g.pass(300, 0.1);
    expect(g.isBusy()).toBe(false);
  });

  it('says webhooks wait when deliveries are in it many at a time, however idle the loop', () => {
    const g = new FakeGauge();
    expect(g.webhooksWaiting()).toBe(false); // first sample
    // Commits slowed by the database (an upload's statements): the loop has room, yet 32
    // deliveries wait at a time.
    g.pass(250, 0.2);
    for (let i = 0; i < 300; i++) {
      g.delivered();
      g.answered((250 / 300) * 32);
    }
    expect(g.webhooksWaiting()).toBe(true);
    expect(g.isBusy()).toBe(false);
    // A steady stream, a few at a time.
    g.pass(250, 0.2);
    for (let i = 0; i < 300; i++) {
      g.delivered();
      g.answered(2);
    }
    expect(g.webhooksWaiting()).toBe(false);
    // A run is no webhook burst.
    g.runStarted();
    g.pass(250, 0.2);
    expect(g.webhooksWaiting()).toBe(false);
  });
});
