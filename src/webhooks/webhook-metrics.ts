import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Counter, Histogram } from 'prom-client';
import { BanksService, DEFAULT_BANK_ID } from '../banks/banks.service';
import { MetricsService } from '../metrics/metrics.service';
import type { WebhookRequest } from './delivery';

const PREFIX = '/webhooks/';
/** Label of every bank id that names no bank (a scan of ids must not add series). */
const UNKNOWN_BANK = '(unknown)';

/**
 * Every answer on a webhook route, counted and timed once it is sent: the 202s and 200s of the
 * handler, and the 400/413/415 of the body reader, the 429 of a rate limit, the 401/404 of the
 * signature guard, the 503 of the filter, which never reach the handler. Called from the
 * request log's `http.server.response.finish` subscriber, so it adds no layer or listener to
 * the intake: one counter increment and one histogram observation per answer.
 */
@Injectable()
export class WebhookMetrics {
  private readonly answers: Counter<string>;
  private readonly duration: Histogram<string>;
  /** Banks that passed the signature guard here: their later 413s and 429s keep their label. */
  private readonly verified = new Set<string>();

  constructor(
    private readonly banks: BanksService,
    metrics: MetricsService,
  ) {
    this.answers = metrics.counter(
      'bank_sync_webhook_responses_total',
      'Answers on the webhook routes, by bank, status code and status class (2xx, 4xx, 5xx)',
      ['bank', 'code', 'status_class'],
    );
    this.duration = metrics.histogram(
      'bank_sync_webhook_duration_seconds',
      'Time from a webhook request arriving to its answer, by bank and outcome (accepted, deduped, conflict, rejected, error)',
      ['bank', 'outcome'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    );
  }

  answered(request: IncomingMessage, status: number, ms: number): void {
    const req = request as WebhookRequest;
    const bank = this.bankLabel(req);
    const outcome =
      req.intakeAnswer ?? (status >= 500 ? 'error' : status >= 400 ? 'rejected' : 'accepted');
    this.duration.observe({ bank, outcome }, ms / 1000);
    this.answers.inc({ bank, code: String(status), status_class: `${Math.floor(status / 100)}xx` });
  }

  /**
   * The bank the guard verified, or the one the path names if it is a known bank; otherwise one
   * label for all. Bank ids come from the configuration, so the label's values stay bounded.
   */
  private bankLabel(req: WebhookRequest): string {
    const verified = req.delivery?.bank.id;
    if (verified !== undefined) {
      this.verified.add(verified);
      return verified;
    }
    const url = req.originalUrl ?? req.url ?? '';
    const end = url.indexOf('/', PREFIX.length);
    if (end === -1) return UNKNOWN_BANK;
    const segment = url.slice(PREFIX.length, end);
    const id = segment === 'bank' ? DEFAULT_BANK_ID : segment;
    return this.verified.has(id) || this.banks.cached(id) ? id : UNKNOWN_BANK;
  }
}
