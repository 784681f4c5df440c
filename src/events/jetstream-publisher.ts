import type { PubAck } from '@nats-io/jetstream';
import {
  createInbox,
  headers,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';

/** JetStream's publish headers (the stream reads them; nats.js's names for them are internal). */
const MSG_ID = 'Nats-Msg-Id';
/** The status the server answers a message with when no stream takes its subject. */
const NO_RESPONDERS = 503;

interface Pending {
  deadline: number;
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
}

/** What JetStream answers a publish with: a PubAck, or an error (`JetStreamApiError`'s fields). */
type Answer = PubAck & { error?: { code: number; err_code?: number; description: string } };

/**
 * JetStream publishes with acknowledgements, many in flight, correlated over one reply
 * subscription: what the Go and Java clients offer as asynchronous publishing (`PublishAsync`)
 * and nats.js does not. Its `js.publish` is a request per message (a reply token in a map, a
 * timer, a deferred, and an Error built even when the answer is good), which cost more CPU than
 * the rest of the relay (bench/RESULTS.md, "Event bus"). The protocol is the same: a message
 * with a reply subject, answered by the stream with a PubAck or an error, or by the server with
 * 503 when no stream takes the subject; each publish waits at most `timeoutMs` (one timer sweeps
 * them all). A publish lost with a connection (a broker restart) is not answered: it times out,
 * as a request would.
 */
export class JetStreamPublisher {
  private readonly prefix = createInbox();
  /** In the order they were sent, so in deadline order: the sweep stops at the first alive. */
  private readonly pending = new Map<string, Pending>();
  private readonly subscription: Subscription;
  private sweep: NodeJS.Timeout | null = null;
  private outgoing: Array<{ subject: string; payload: string; token: string; headers: MsgHdrs }> =
    [];
  private flush: NodeJS.Immediate | null = null;
  private next = 0;
  private closed: Error | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.subscription = nc.subscribe(`${this.prefix}.*`, {
      callback: (err, msg) => (err ? this.close(err) : this.answer(msg)),
    });
  }

  /**
   * Publishes `payload` on `subject` with `Nats-Msg-Id` = `msgId` (the stream drops a copy).
   * Resolves with the stream's acknowledgement; rejects with its error, on no answer within
   * the timeout, or when no stream takes the subject.
   */
  publish(subject: string, payload: string, msgId: string): Promise<PubAck> {
    if (this.closed) return Promise.reject(this.closed);
    const token = `${++this.next}`;
    const h = headers();
    h.set(MSG_ID, msgId);
    return new Promise<PubAck>((resolve, reject) => {
      this.pending.set(token, { deadline: performance.now() + this.timeoutMs, resolve, reject });
      this.outgoing.push({ subject, payload, token, headers: h });
      this.flush ??= setImmediate(() => this.send());
      this.sweep ??= setInterval(() => this.expire(), Math.max(10, this.timeoutMs / 4)).unref();
    });
  }

  /**
   * Hands every publish asked for since the last turn of the event loop to the client at once:
   * it writes what it was given in one synchronous run with one socket write, where publishes
   * released one by one as acknowledgements come back would each take a write of their own.
   */
  private send(): void {
    this.flush = null;
    const outgoing = this.outgoing;
    this.outgoing = [];
    for (const m of outgoing) {
      if (!this.pending.has(m.token)) continue; // timed out or closed before it went out
      try {
        this.nc.publish(m.subject, m.payload, {
          reply: `${this.prefix}.${m.token}`,
          headers: m.headers,
        });
      } catch (err) {
        const p = this.pending.get(m.token)!;
        this.pending.delete(m.token);
        p.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  /** Closed (by `close`, or by an error of its subscription): a new one must take over. */
  get isClosed(): boolean {
    return this.closed !== null;
  }

  /** Fails what is still waiting and stops listening; later publishes fail at once. */
  close(err: Error = new Error('JetStream publisher closed')): void {
    if (this.closed) return;
    this.closed = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.stopSweep();
    this.subscription.unsubscribe();
  }

  private answer(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const p = this.pending.get(token);
    if (!p) return; // timed out meanwhile: the relay has failed it already
    this.pending.delete(token);
    if (this.pending.size === 0) this.stopSweep();
    if (msg.headers?.code === NO_RESPONDERS) {
      p.reject(new Error('no JetStream stream takes this subject (503 no responders)'));
      return;
    }
    let answer: Answer;
    try {
      answer = msg.json<Answer>();
    } catch {
      p.reject(new Error(`unreadable JetStream acknowledgement: ${msg.string().slice(0, 200)}`));
      return;
    }
    if (answer.error) {
      const code = answer.error.err_code ?? answer.error.code;
      p.reject(new Error(`JetStream refused the message (${code}): ${answer.error.description}`));
    } else if (!answer.stream) {
      p.reject(new Error('invalid JetStream acknowledgement (no stream)'));
    } else {
      answer.duplicate ??= false;
      p.resolve(answer);
    }
  }

  private expire(): void {
    const now = performance.now();
    for (const [token, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(token);
      p.reject(new Error(`no JetStream acknowledgement within ${this.timeoutMs} ms`));
    }
    if (this.pending.size === 0) this.stopSweep();
  }

  private stopSweep(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
  }
}
