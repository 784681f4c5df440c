import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { isUtf8 } from 'node:buffer';
import { BanksService, DEFAULT_BANK_ID, type ResolvedBank } from '../banks/banks.service';
import {
  headerEventId,
  STANDARD_WEBHOOKS_HEADERS,
  verifySignature,
  type HeaderBag,
} from '../banks/signature/signature-schemes';
import { ProblemException, validationProblem } from '../common/problem';
import { MetricsService } from '../metrics/metrics.service';
import type { WebhookRequest } from './delivery';
import { upEventId } from './up-intake';
import { isPlainJson } from './webhook-body';

const MAX_EVENT_ID = 200;

/** `req.is('application/json')`, with the usual exact header answered without parsing it. */
function isJson(req: WebhookRequest): boolean {
  return (
    isPlainJson(req.headers['content-type']) || req.is('application/json') === 'application/json'
  );
}

/** Headers kept with the raw event: enough to audit a delivery, nothing secret. */
function keptHeaders(req: WebhookRequest, names: string[]): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (typeof value === 'string') kept[name] = value;
  }
  return kept;
}

/**
 * Authenticates a bank delivery: JSON (415), known bank (404), a signature over the exact raw
 * bytes made with one of the bank's active secrets (401, counted), and an event id (400).
 */
@Injectable()
export class SignatureGuard implements CanActivate {
  private readonly rejected;

  constructor(
    private readonly banks: BanksService,
    metrics: MetricsService,
  ) {
    this.rejected = metrics.counter(
      'bank_sync_webhook_rejected_total',
      'Webhook deliveries rejected before storage, by bank and reason',
      ['bank', 'reason'],
    );
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const req = context.switchToHttp().getRequest<WebhookRequest>();
    if (!isJson(req)) {
      throw new ProblemException(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        'unsupported-media-type',
        'Webhook bodies must be sent as Content-Type: application/json',
      );
    }
    // JSON between systems is UTF-8 (RFC 8259). The parser would quietly turn bad bytes into
    // U+FFFD and store a transaction id the bank never sent.
    if (req.rawBody && !isUtf8(req.rawBody)) {
      throw validationProblem(
        [{ field: '(body)', message: 'the body must be UTF-8 encoded JSON' }],
        'The request body is not valid UTF-8',
      );
    }
    const param: unknown = req.params.bankId;
    const bankId = typeof param === 'string' ? param : DEFAULT_BANK_ID;
    // Banks are cached: the usual delivery is checked without waiting on anything.
    const cached = this.banks.cached(bankId);
    if (cached !== undefined) return this.verify(req, bankId, cached);
    return this.banks.resolve(bankId).then((bank) => this.verify(req, bankId, bank));
  }

  private verify(req: WebhookRequest, bankId: string, bank: ResolvedBank | null): boolean {
    if (!bank) {
      this.rejected.inc({ bank: '(unknown)', reason: 'unknown_bank' });
      throw new ProblemException(
        HttpStatus.NOT_FOUND,
        'unknown-bank',
        `no partner bank "${bankId}"`,
      );
    }
    const rawBody = req.rawBody ?? Buffer.alloc(0);
    const scheme = bank.signature.scheme;
    // A standard-webhooks header sent on several lines is several signatures; Node's joined
    // "a, b" would make the first line's last entry unreadable ("v1,...=,"). headersDistinct
    // keeps each line apart (and each id and timestamp line, which must then agree).
    const headers: HeaderBag = scheme === 'standard-webhooks' ? req.headersDistinct : req.headers;
    const verdict = verifySignature(bank.signature, headers, rawBody);
    if (!verdict.ok) {
      this.rejected.inc({ bank: bank.id, reason: verdict.reason });
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        'invalid-signature',
        `The delivery's signature could not be verified (${verdict.reason.replace(/_/g, ' ')})`,
      );
    }
    let eventId = scheme === 'up' ? upEventId(req.body) : headerEventId(bank.signature, headers);
    // Node joins a repeated header into "a, b": two ids in one delivery are ambiguous, not one.
    if (scheme !== 'up' && eventId?.includes(', ')) {
      eventId = headerEventId(bank.signature, req.headersDistinct);
    }
    if (!eventId || eventId.length > MAX_EVENT_ID || eventId.trim() === '') {
      this.rejected.inc({ bank: bank.id, reason: 'missing_event_id' });
      const field =
        scheme === 'up'
          ? 'data.id'
          : scheme === 'hmac-sha256'
            ? bank.signature.eventIdHeader
            : 'webhook-id';
      throw validationProblem(
        [{ field, message: `an event id of 1 to ${MAX_EVENT_ID} characters is required` }],
        'The delivery has no usable event id',
      );
    }
    const names =
      scheme === 'hmac-sha256'
        ? [
            'content-type',
            'user-agent',
            bank.signature.eventIdHeader,
            bank.signature.signatureHeader,
          ]
        : scheme === 'up'
          ? ['content-type', 'user-agent', 'x-up-authenticity-signature']
          : ['content-type', 'user-agent', ...STANDARD_WEBHOOKS_HEADERS];
    req.delivery = { bank, eventId, rawBody, body: req.body, headers: keptHeaders(req, names) };
    return true;
  }
}
