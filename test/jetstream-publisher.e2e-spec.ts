import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JetStreamPublisher } from '../src/events/jetstream-publisher';
import { readStream, startNats, type NatsServer } from './support/nats';
import { startNatsProxy, type NatsProxy } from './support/nats-proxy';

/**
 * The bus sink's publisher against a real nats-server with JetStream: acknowledgements
 * correlated over one reply subscription, and each way a publish can fail.
 */
describe('JetStreamPublisher', () => {
  let nats: NatsServer;
  let proxy: NatsProxy;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    proxy = await startNatsProxy(nats.port);
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PUB', subjects: ['pub.>'] });
    // Refuses any message longer than 128 bytes (headers included): the stream answers with an error.
    await jsm.streams.add({ name: 'TINY', subjects: ['tiny.>'], max_msg_size: 128 });
  });
  afterAll(async () => {
    await nc?.close();
    await proxy?.close();
    await nats?.dispose();
  });

  it('resolves each publish with its own acknowledgement, many in flight; a copy is a duplicate', async () => {
    const publisher = new JetStreamPublisher(nc, 5000);
    const acks = await Promise.all(
      Array.from({ length: 300 }, (_, i) => publisher.publish('pub.a', `{"n":${i}}`, `m-${i}`)),
    );
    expect(acks.map((a) => a.stream)).toEqual(Array(300).fill('PUB'));
    expect(acks.every((a) => a.duplicate === false)).toBe(true);
    // Sequences in publish order: each answer went to its own publish.
    expect(acks.map((a) => a.seq)).toEqual(acks.map((_, i) => acks[0].seq + i));

    const again = await publisher.publish('pub.a', '{"n":7}', 'm-7');
    expect(again).toMatchObject({ stream: 'PUB', duplicate: true, seq: acks[7].seq });
    const stored = await readStream(nats.url, 'PUB');
    expect(stored).toHaveLength(300);
    expect(stored[7]).toMatchObject({ subject: 'pub.a', msgId: 'm-7', body: { n: 7 } });
    publisher.close();
  });

  it('rejects at once when no stream takes the subject, and with the stream’s error when it refuses', async () => {
    const publisher = new JetStreamPublisher(nc, 5000);
    const started = Date.now();
    await expect(publisher.publish('nostream.a', '{}', 'x-1')).rejects.toThrow(/no responders/);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(publisher.publish('tiny.a', 'x'.repeat(500), 'x-2')).rejects.toThrow(
      /JetStream refused the message \(\d+\): .*size/i,
    );
    // Neither one spoils the next.
    await expect(publisher.publish('tiny.a', 'ok', 'x-3')).resolves.toMatchObject({
      stream: 'TINY',
    });
    publisher.close();
  });

  it('fails a publish whose answer does not come within the timeout, and ignores the late answer', async () => {
    const viaProxy = await connect({ servers: proxy.url });
    try {
      const publisher = new JetStreamPublisher(viaProxy, 300);
      proxy.hold();
      const started = Date.now();
      const late = publisher.publish('pub.b', '{"late":true}', 'late-1');
      await expect(late).rejects.toThrow(/no JetStream acknowledgement within 300 ms/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(1500);
      proxy.release();
      // The stream did store it: published again, it is a duplicate, not a second copy.
      await expect(publisher.publish('pub.b', '{"late":true}', 'late-1')).resolves.toMatchObject({
        duplicate: true,
      });
      publisher.close();
    } finally {
      proxy.release();
      await viaProxy.close();
    }
  });

  it('close fails what is waiting and every later publish', async () => {
    const viaProxy = await connect({ servers: proxy.url });
    try {
      const publisher = new JetStreamPublisher(viaProxy, 5000);
      proxy.hold();
      const waiting = publisher.publish('pub.c', '{}', 'c-1');
      expect(publisher.isClosed).toBe(false);
      publisher.close(new Error('shutting down'));
      expect(publisher.isClosed).toBe(true);
      await expect(waiting).rejects.toThrow('shutting down');
      await expect(publisher.publish('pub.c', '{}', 'c-2')).rejects.toThrow('shutting down');
    } finally {
      proxy.release();
      await viaProxy.close();
    }
  });

  it('fails what waits, at once, when the server refuses its reply subscription, and says why', async () => {
    // A user who may publish but not subscribe to inboxes: the server refuses the publisher's
    // reply subscription, which closes it, rather than every publish waiting for its timeout.
    const dir = mkdtempSync(join(tmpdir(), 'bank-sync-nats-conf-'));
    const conf = join(dir, 'nats.conf');
    writeFileSync(
      conf,
      `authorization { users = [ { user: relay, password: relay-pass,
         permissions: { publish: ">", subscribe: { deny: "_INBOX.>" } } } ] }\n`,
    );
    const locked = await startNats(['-c', conf]);
    const limited = await connect({ servers: locked.url, user: 'relay', pass: 'relay-pass' });
    try {
      const publisher = new JetStreamPublisher(limited, 10_000);
      const started = Date.now();
      await expect(publisher.publish('pub.x', '{}', 'denied-1')).rejects.toThrow(
        /permissions violation/i,
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(publisher.isClosed).toBe(true);
      await expect(publisher.publish('pub.x', '{}', 'denied-2')).rejects.toThrow(
        /permissions violation/i,
      );
    } finally {
      await limited.close().catch(() => undefined);
      await locked.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
