import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { performance } from 'node:perf_hooks';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { envelope, InOrder, subjectFor } from './bus-order';
import { JetStreamPublisher } from './jetstream-publisher';
import type { EventSink, SinkHandOver } from './event-sink';

const DAY_NS = 86_400e9;
/** NATS's own default: a crash, restart and republish of one batch fits in it many times over. */
const DUPLICATE_WINDOW_NS = 120e9;
const PROBE_TIMEOUT_MS = 1000;
/**
 * Publishes awaiting their acknowledgement at once, across the batches of one relay
 * transaction (bench/bus.ts gives its bare client the same window).
 */
export const IN_FLIGHT = 500;

export interface BusStatus {
  /** `off`: no EVENTS_NATS_URL. */
  status: 'up' | 'down' | 'off';
  detail?: string;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The message of an error, never a server URL (it may carry user:password). */
function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(
    /\b(nats|tls):\/\/\S+/g,
    '$1://…',
  );
}

/**
 * Publishes every outbox event to NATS JetStream (EVENTS_NATS_URL): subject
 * `bank_sync.<type>`, `Nats-Msg-Id` = the event id, so the stream drops the copies a crash
 * between acknowledgement and commit sends again. `publish` runs in the relay's transaction and
 * waits for the stream's acknowledgements, each at most EVENTS_NATS_TIMEOUT_MS: a broker that is
 * down or slow holds the relay (the events wait in the outbox), never the intake, whose
 * statements do not touch the bus.
 */
@Injectable()
export class JetStreamSink implements EventSink, OnApplicationShutdown {
  readonly name = 'nats';
  readonly needsData = true;
  readonly ordered = true;
  private readonly logger = new Logger('JetStreamSink');
  private connection: Promise<NatsConnection> | null = null;
  /** The publisher once the stream was found or made; null: look for the stream again. */
  private client: Promise<JetStreamPublisher> | null = null;
  private publisher: JetStreamPublisher | null = null;
  private readonly published;
  private readonly failures;
  private readonly seconds;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    // Registered with or without a bus, so the families (and the example alert) always exist.
    this.published = metrics.counter(
      'bank_sync_event_bus_published_total',
      'Events acknowledged by NATS JetStream (duplicate: the stream already had it)',
      ['outcome'],
      [{ outcome: 'stored' }, { outcome: 'duplicate' }],
    );
    this.failures = metrics.counter(
      'bank_sync_event_bus_failures_total',
      'Relay transactions NATS JetStream did not take (broker down, slow or refusing): relayed again',
    );
    this.seconds = metrics.histogram(
      'bank_sync_event_bus_batch_seconds',
      'Time to publish one relay batch to NATS JetStream, acknowledgements included',
      ['outcome'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      [{ outcome: 'ok' }, { outcome: 'failed' }],
    );
  }

  get enabled(): boolean {
    return this.config.nats !== null;
  }

  open(): SinkHandOver {
    const { timeoutMs } = this.nats();
    // On the first event only: an empty relay pass does not touch the bus.
    let js: Promise<JetStreamPublisher> | null = null;
    const order = new InOrder<PubAck>(
      (e) =>
        (js ??= withTimeout(this.jetStream(), timeoutMs, 'NATS JetStream')).then((p) =>
          p.publish(subjectFor(e.type), envelope(e), e.id),
        ),
      IN_FLIGHT,
    );
    let failed = false;
    return {
      take: async (events) => {
        const started = performance.now();
        try {
          const acks = await order.add(events);
          const duplicates = acks.filter((a) => a.duplicate).length;
          this.published.inc({ outcome: 'stored' }, acks.length - duplicates);
          if (duplicates > 0) this.published.inc({ outcome: 'duplicate' }, duplicates);
          this.seconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
        } catch (err) {
          this.seconds.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
          // Once a hand-over: the relay's transaction fails as a whole. Next one: look for the
          // stream again (an operator may have deleted it meanwhile).
          if (!failed) {
            failed = true;
            this.client = null;
            this.failures.inc();
          }
          throw new Error(`NATS JetStream did not take ${events.length} events: ${reason(err)}`, {
            cause: err,
          });
        }
      },
    };
  }

  /** For /health/ready: the bus answers (a round trip through the server) and has the stream. */
  async probe(): Promise<BusStatus> {
    if (!this.enabled) return { status: 'off' };
    try {
      await withTimeout(
        this.jetStream().then(() => this.connect().then((nc) => nc.rtt())),
        PROBE_TIMEOUT_MS,
        'NATS',
      );
      return { status: 'up' };
    } catch (err) {
      return { status: 'down', detail: `event bus unreachable: ${reason(err)}` };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    this.client = null;
    this.publisher?.close(new Error('shutting down'));
    this.publisher = null;
    if (!connection) return;
    // A connection still trying to reach the broker is abandoned, not waited for.
    const nc = await Promise.race([connection, Promise.resolve(null)]);
    if (nc) await withTimeout(nc.drain(), 2000, 'NATS drain').catch(() => nc.close());
    else void connection.then((late) => late.close()).catch(() => undefined);
  }

  private nats(): NonNullable<AppConfig['nats']> {
    if (!this.config.nats) throw new Error('EVENTS_NATS_URL is not set');
    return this.config.nats;
  }

  /**
   * One connection for the life of the process, opened on first use and reconnecting for ever:
   * a broker down at boot or later delays the relay, it never stops the service.
   */
  private connect(): Promise<NatsConnection> {
    this.connection ??= connect({
      servers: this.nats().servers,
      name: 'bank-sync',
      waitOnFirstConnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: this.nats().timeoutMs,
      // For the requests left to the client (the stream manager's, the probe's): it otherwise
      // builds Errors with stack traces for each, in case it fails. Publishes go through
      // JetStreamPublisher. Our errors are logged by message.
      noAsyncTraces: true,
    }).catch((err: unknown) => {
      this.connection = null;
      throw err;
    });
    return this.connection;
  }

  /** The publisher, once the stream exists (created if missing, never reconfigured). */
  private jetStream(): Promise<JetStreamPublisher> {
    this.client ??= this.connect()
      .then(async (nc) => {
        const { stream, timeoutMs } = this.nats();
        const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
        try {
          await jsm.streams.info(stream);
        } catch (err) {
          if (!(
            err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound
          )) {
            throw err;
          }
          await jsm.streams.add(this.streamConfig(stream));
          this.logger.log(`created JetStream stream ${stream} for bank_sync.>`);
        }
        // One for the connection's life (its reply subscription is renewed on every reconnect),
        // unless its subscription failed (a permissions error, say), which closes it.
        if (!this.publisher || this.publisher.isClosed) {
          this.publisher = new JetStreamPublisher(nc, timeoutMs);
        }
        return this.publisher;
      })
      .catch((err: unknown) => {
        this.client = null;
        throw err;
      });
    return this.client;
  }

  /** Kept as long as the outbox keeps relayed events (EVENTS_RETENTION_DAYS, 0: for ever). */
  private streamConfig(name: string): {
    name: string;
    subjects: string[];
    max_age: number;
    duplicate_window: number;
  } {
    return {
      name,
      subjects: [subjectFor('>')],
      max_age: this.config.events.retentionDays * DAY_NS,
      duplicate_window: DUPLICATE_WINDOW_NS,
    };
  }
}
