import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProblemException } from '../common/problem';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { WebhookRequest } from './delivery';

const SWEEP_EVERY = 10_000;

interface Window {
  count: number;
  endsAt: number;
}

/**
 * Fixed-window counters, O(1) per hit. (`@nestjs/throttler` did this job first; its guard does
 * half a dozen metadata lookups and an IP normalization per request, measurably slowing the
 * intake, see bench/RESULTS.md. Two counters do not need a framework.)
 */
export class FixedWindowCounter {
  private readonly windows = new Map<string, Window>();
  private hits = 0;

  /** Counts one hit; when over `limit`, the whole seconds until the window ends, else 0. */
  hit(key: string, limit: number, windowMs: number, now = Date.now()): number {
    if (++this.hits % SWEEP_EVERY === 0) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count > limit ? Math.max(1, Math.ceil((window.endsAt - now) / 1000)) : 0;
  }

  /** Forgets windows that are over, so a scan from many addresses cannot grow the map forever. */
  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

/**
 * The client a delivery comes from: its address, or with `trust proxy` set the forwarded one.
 * IPv6 clients are counted per /64, the block one host usually holds, so rotating addresses
 * inside it does not escape the limit.
 */
export function clientKey(req: Request): string {
  const address =
    (req.headers['x-forwarded-for'] === undefined ? req.socket.remoteAddress : req.ip) ?? '';
  // IPv4, also IPv4-mapped (`::ffff:10.1.2.3` on a dual-stack socket): the address is the key.
  if (!address.includes(':') || (address.startsWith('::ffff:') && address.includes('.'))) {
    return address;
  }
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The two webhook budgets of this instance (WEBHOOK_RATE_LIMIT_*; 0 turns one off). */
@Injectable()
export class WebhookRateLimits {
  private readonly clients = new FixedWindowCounter();
  private readonly banks = new FixedWindowCounter();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Seconds to wait when the client is over its budget, else 0. */
  client(req: Request): number {
    const { perClient, windowMs } = this.config.webhookRateLimit;
    return perClient === 0 ? 0 : this.clients.hit(clientKey(req), perClient, windowMs);
  }

  /** Seconds to wait when the bank is over its budget, else 0. */
  bank(bankId: string): number {
    const { perBank, windowMs } = this.config.webhookRateLimit;
    return perBank === 0 ? 0 : this.banks.hit(bankId, perBank, windowMs);
  }

  /** 429 problem+json with Retry-After. */
  refuse(res: Response, seconds: number, what: 'for this bank' | 'from this client'): never {
    const { perBank, perClient, windowMs } = this.config.webhookRateLimit;
    const limit = what === 'for this bank' ? perBank : perClient;
    res.setHeader('Retry-After', String(seconds));
    throw new ProblemException(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate-limited',
      `More than ${limit} deliveries ${what} in ${windowMs} ms; retry after ${seconds} s`,
      { retry_after: seconds },
    );
  }
}

/** Per client address, before the signature is checked: a flood of junk is refused cheaply. */
@Injectable()
export class ClientRateLimitGuard implements CanActivate {
  constructor(private readonly limits: WebhookRateLimits) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const wait = this.limits.client(http.getRequest<Request>());
    if (wait > 0) this.limits.refuse(http.getResponse<Response>(), wait, 'from this client');
    return true;
  }
}

/**
 * Per bank, after the signature is checked: only authentic deliveries count against a bank's
 * budget, so nobody can throttle a bank by sending unsigned requests in its name.
 */
@Injectable()
export class BankRateLimitGuard implements CanActivate {
  constructor(private readonly limits: WebhookRateLimits) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const bankId = http.getRequest<WebhookRequest>().delivery?.bank.id ?? '(unverified)';
    const wait = this.limits.bank(bankId);
    if (wait > 0) this.limits.refuse(http.getResponse<Response>(), wait, 'for this bank');
    return true;
  }
}
