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

    // Busy, with a burst of deliveries.
    g.pass(300, 0.95);
    for (let i = 0; i < 100; i++) g.delivered();
    expect(g.isBusy()).toBe(true);
    // Within the window the answer is kept.
    g.pass(100, 0.1);
    expect(g.isBusy()).toBe(true);

    // Busy, but no deliveries: background work itself is what keeps the loop busy.
    g.pass(300, 0.99);
    expect(g.isBusy()).toBe(false);

    // Deliveries, but the loop has room.
    g.pass(300, 0.5);
    for (let i = 0; i < 100; i++) g.delivered();
    expect(g.isBusy()).toBe(false);

    // A trickle of deliveries on a busy loop is not a burst.
    g.pass(300, 0.95);
    for (let i = 0; i < 5; i++) g.delivered();
    expect(g.isBusy()).toBe(false);
  });

  it('is saturated near the most it has answered, not by a steady stream below it', () => {
    const g = new FakeGauge();
    g.isBusy();
    const window = (deliveries: number, busy = 0.95): boolean => {
      g.pass(250, busy);
      for (let i = 0; i < deliveries; i++) g.delivered();
      return g.isBusy();
    };
    // A burst: as fast as the instance answers.
    expect(window(1000)).toBe(true);
    expect(window(900)).toBe(true);
    // Then a steady 60 % of that, with the background work keeping the loop as busy.
    for (let i = 0; i < 20; i++) expect(window(600)).toBe(false);
    // Just below the share that counts as a burst, and at it.
    expect(window(770)).toBe(false);
    expect(window(810)).toBe(true);
    // Ten quiet minutes later the old peak has faded: the same 600 a window is a burst now
    // (a slower host, or heavier deliveries, is learned again).
    g.pass(600_000, 0.05);
    g.isBusy();
    expect(window(600)).toBe(true);
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
});
