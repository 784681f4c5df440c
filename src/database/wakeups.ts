import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Client, type Notification } from 'pg';
import { DataSource } from 'typeorm';
import { WorkSignal } from '../common/work-signal';
import { APP_CONFIG, type AppConfig } from '../config/config';

/** The durable queues background loops work through; each has one wake-up. */
export const WORK_QUEUES = ['transactions', 'outbox', 'deliveries', 'suggestions'] as const;
export type WorkQueue = (typeof WORK_QUEUES)[number];

export const WAKE_CHANNEL = 'bank_sync_wake';
/** At most one NOTIFY per queue per this many ms from one instance (a burst commits hundreds). */
const NOTIFY_INTERVAL_MS = 10;
const RECONNECT_MS = 1000;

/**
 * A wake-up that reaches every instance: `notify()` wakes this instance's loop at once and asks
 * `Wakeups` to tell the others (PostgreSQL NOTIFY). Call it after the commit that made the work
 * visible, never inside the transaction: a loop woken early finds nothing and sleeps a poll.
 */
export class SharedSignal extends WorkSignal {
  constructor(private readonly shout: () => void) {
    super();
  }

  override notify(): void {
    this.wakeHere();
    this.shout();
  }
}

/**
 * Wake-ups across instances over PostgreSQL LISTEN/NOTIFY, on one connection of its own (outside
 * the pool, so the intake never waits for it). The NOTIFY is sent after the work's own commit,
 * from that connection, coalesced per queue: not inside the intake's statements, whose commits
 * would otherwise queue on PostgreSQL's notification lock. Correctness never depends on a
 * wake-up: every loop still polls, and after a reconnect every loop is woken once for what
 * may have been missed meanwhile.
 */
@Injectable()
export class Wakeups implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Wakeups');
  private readonly id = randomUUID();
  private readonly signals: Record<WorkQueue, SharedSignal>;
  private readonly wanted = new Set<WorkQueue>();
  private client: Client | null = null;
  private connecting: Promise<void> | null = null;
  private sending = false;
  private lastSentAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const make = (queue: WorkQueue) => new SharedSignal(() => this.request(queue));
    this.signals = {
      transactions: make('transactions'),
      outbox: make('outbox'),
      deliveries: make('deliveries'),
      suggestions: make('suggestions'),
    };
  }

  get transactions(): SharedSignal {
    return this.signals.transactions;
  }

  get outbox(): SharedSignal {
    return this.signals.outbox;
  }

  get deliveries(): SharedSignal {
    return this.signals.deliveries;
  }

  get suggestions(): SharedSignal {
    return this.signals.suggestions;
  }

  onApplicationBootstrap(): Promise<void> {
    return this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.connecting;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const options = this.dataSource.options as { url?: string };
    const client = new Client({
      connectionString: options.url,
      application_name: 'bank-sync-wakeups',
      connectionTimeoutMillis: 3000,
      // Each NOTIFY is a transaction of its own, and its commit need not wait for the WAL flush:
      // a wake-up lost in a crash costs at most one poll (the work itself is durable already).
      options: '-c synchronous_commit=off',
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, null));
    client.on('notification', (n) => this.received(n));
    try {
      await client.connect();
      // Only an instance whose loops run needs to hear the others; every instance tells them.
      if (this.config.workerEnabled) await client.query(`LISTEN ${WAKE_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      this.lost(client, err as Error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    // Whatever was committed while no wake-up could arrive is looked at now, not at the poll.
    for (const queue of WORK_QUEUES) this.signals[queue].wakeHere();
    if (this.wanted.size > 0) this.schedule();
  }

  private lost(client: Client, err: Error | null): void {
    if (this.client === client) this.client = null;
    if (this.closed || this.reconnectTimer) return;
    if (err) this.logger.warn(`wake-up connection lost: ${err.message}`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, RECONNECT_MS);
  }

  private received(n: Notification): void {
    const payload = n.payload ?? '';
    const at = payload.indexOf(':');
    if (at < 0 || payload.slice(0, at) === this.id) return;
    const queue = payload.slice(at + 1) as WorkQueue;
    if (WORK_QUEUES.includes(queue)) this.signals[queue].wakeHere();
  }

  private request(queue: WorkQueue): void {
    this.wanted.add(queue);
    this.schedule();
  }

  private schedule(): void {
    if (this.sending || this.timer || !this.client || this.closed) return;
    const wait = Math.max(0, this.lastSentAt + NOTIFY_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.send();
    }, wait);
  }

  private async send(): Promise<void> {
    const client = this.client;
    if (!client || this.wanted.size === 0) return;
    const payloads = [...this.wanted].map((q) => `${this.id}:${q}`);
    this.wanted.clear();
    this.sending = true;
    this.lastSentAt = Date.now();
    try {
      await client.query(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, [
        WAKE_CHANNEL,
        payloads,
      ]);
    } catch {
      // The other instances find the work at their next poll; `lost` reconnects.
    } finally {
      this.sending = false;
      if (this.wanted.size > 0) this.schedule();
    }
  }
}
