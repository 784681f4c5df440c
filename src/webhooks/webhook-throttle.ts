import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Response } from 'express';
import { ProblemException } from '../common/problem';
import type { AppConfig } from '../config/config';
import type { WebhookRequest } from './delivery';

const CLIENT = 'client';
const BANK = 'bank';
const SWEEP_EVERY = 10_000;

interface Window {
  count: number;
  endsAt: number;
}

/**
 * Fixed-window counters, O(1) per request. The library's default storage keeps one expiry
 * timestamp per hit and filters that list on every request: with limits in the thousands per
 * second it would cost the intake hot path more than the limit is worth.
 */
export class FixedWindowThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private calls = 0;

  async increment(key: string, ttl: number, limit: number) {
    const now = Date.now();
    if (++this.calls % SWEEP_EVERY === 0) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + ttl };
      this.windows.set(key, window);
    }
    window.count++;
    const secondsLeft = Math.max(1, Math.ceil((window.endsAt - now) / 1000));
    const isBlocked = window.count > limit;
    return {
      totalHits: window.count,
      timeToExpire: secondsLeft,
      isBlocked,
      timeToBlockExpire: isBlocked ? secondsLeft : 0,
    };
  }

  /** Forgets windows that are over, so a scan from many addresses cannot grow the map forever. */
  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}

/** Two named throttlers; 0 disables one. Keys are short and readable: `bank:acme`, `client:ip`. */
export function webhookThrottlerOptions(limits: AppConfig['webhookRateLimit']) {
  const throttler = (name: string, limit: number) => ({
    name,
    limit,
    ttl: limits.windowMs,
    skipIf: () => limit === 0,
  });
  return {
    throttlers: [throttler(CLIENT, limits.perClient), throttler(BANK, limits.perBank)],
    storage: new FixedWindowThrottlerStorage(),
    setHeaders: false,
    generateKey: (_context: ExecutionContext, tracker: string, name: string) =>
      `${name}:${tracker}`,
  } satisfies ThrottlerModuleOptions;
}

/** Runs one of the named throttlers and answers 429 problem+json with Retry-After. */
abstract class OneThrottlerGuard extends ThrottlerGuard {
  protected abstract readonly throttlerName: string;

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.throttlers = this.throttlers.filter((t) => t.name === this.throttlerName);
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(seconds));
    throw new ProblemException(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate-limited',
      `More than ${detail.limit} deliveries ${this.throttlerName === BANK ? 'for this bank' : 'from this client'} ` +
        `in ${detail.ttl} ms; retry after ${seconds} s`,
      { retry_after: seconds },
    );
  }
}

/** Per client IP, before the signature is checked: a flood of junk is refused cheaply. */
@Injectable()
export class ClientThrottleGuard extends OneThrottlerGuard {
  protected readonly throttlerName = CLIENT;
}

/**
 * Per bank, after the signature is checked: only authentic deliveries count against a bank's
 * budget, so nobody can throttle a bank by sending unsigned requests in its name.
 */
@Injectable()
export class BankThrottleGuard extends OneThrottlerGuard {
  protected readonly throttlerName = BANK;

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return (req as unknown as WebhookRequest).delivery?.bank.id ?? '(unverified)';
  }
}
