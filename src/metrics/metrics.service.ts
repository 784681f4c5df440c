import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One label set per value: `each('outcome', ['a', 'b'])` → `[{ outcome: 'a' }, { outcome: 'b' }]`. */
export function each(label: string, values: readonly string[]): Array<Record<string, string>> {
  return values.map((v) => ({ [label]: v }));
}

export const METRIC_PREFIX = 'bank_sync_';

/**
 * prom-client's default gauges that `promtool check metrics` refuses ("non-counter metrics
 * should not have _total suffix"). Each is the sum of the gauge of the same name without
 * `_total` (`nodejs_active_handles{type}` and so on), so removing them loses nothing:
 * `sum(bank_sync_nodejs_active_handles)` is the total.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * One registry per application instance (not prom-client's global one), so that several apps
 * in one process, as in the e2e tests, never clash over metric names.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(METRIC_PREFIX + name);
  }

  /**
   * `zeroes`: label sets exported as 0 from the start. Where a label's values are a closed set,
   * each series exists before its first event, so `rate()` and `increase()` see that event and
   * an alert on it can fire (a series born at 1 looks to Prometheus like no change).
   */
  counter(
    name: string,
    help: string,
    labelNames: string[] = [],
    zeroes: Array<Record<string, string>> = [],
  ): Counter<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<string>;
    const counter = new Counter({ name, help, labelNames, registers: [this.registry] });
    for (const labels of zeroes) counter.inc(labels, 0);
    return counter;
  }

  histogram(
    name: string,
    help: string,
    labelNames: string[],
    buckets: number[],
    zeroes: Array<Record<string, string>> = [],
  ): Histogram<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<string>;
    const histogram = new Histogram({
      name,
      help,
      labelNames,
      buckets,
      registers: [this.registry],
    });
    for (const labels of zeroes) histogram.zero(labels);
    return histogram;
  }

  /** A gauge whose value is set at scrape time by `collect` (prom-client awaits it). */
  gauge(
    name: string,
    help: string,
    labelNames: string[],
    collect: (gauge: Gauge<string>) => void | Promise<void>,
  ): Gauge<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Gauge<string>;
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: Gauge<string>) {
        return collect(this);
      },
    });
  }

  /**
   * How long work waited for each background stage on the way to money, from the commit that
   * made it visible: `claimed` (a stored transaction, until the worker claims it), `relayed`
   * (an outbox event, until the relay hands it to the sinks), `sent` (an event, until its first
   * outbound attempt starts). Their sum, plus matching and the attempt itself
   * (`bank_sync_event_delivery_seconds`), is a bank's payment until `invoice.paid` is sent.
   */
  pipelineWait(): Histogram<string> {
    return this.histogram(
      'bank_sync_pipeline_wait_seconds',
      'Time work waited for each background stage (claimed, relayed, sent) after its commit',
      ['stage'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ['claimed', 'relayed', 'sent'].map((stage) => ({ stage })),
    );
  }
}
