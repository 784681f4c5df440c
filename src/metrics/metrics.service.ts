import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * One registry per application instance (not prom-client's global one), so that several apps
 * in one process, as in the e2e tests, never clash over metric names.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'bank_sync_' });
  }

  counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<string>;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram(
    name: string,
    help: string,
    labelNames: string[],
    buckets: number[],
  ): Histogram<string> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<string>;
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
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
    );
  }
}
