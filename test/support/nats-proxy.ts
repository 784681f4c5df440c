import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { freePort } from './net';

/** What went through the proxy, in the order it did: a publish with its id, or its ack. */
export interface ProxyEntry {
  kind: 'pub' | 'ack';
  msgId: string;
}

/**
 * A TCP proxy in front of a nats-server that reads the NATS protocol both ways: it records
 * every publish carrying a `Nats-Msg-Id` as the client sends it and every acknowledgement of
 * one as it hands it to the client, and while `hold` is on it keeps those acknowledgements back
 * (everything else, PING/PONG and the JetStream API's answers, passes). So a test sees what the
 * relay put on the wire while its acknowledgements had not come back.
 */
export interface NatsProxy {
  url: string;
  log: ProxyEntry[];
  hold(): void;
  /**
   * Hands on every acknowledgement held back, and holds no more; with `keep`, except the one of
   * that message id, which stays held (now or when it comes) until the next `release`.
   */
  release(keep?: string): void;
  close(): Promise<void>;
}

const CRLF = Buffer.from('\r\n');

/** Splits a NATS byte stream into frames (a control line, plus its payload for (H)PUB/(H)MSG). */
function frames(onFrame: (line: string, frame: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const eol = buf.indexOf(CRLF);
      if (eol < 0) return;
      const line = buf.subarray(0, eol).toString('latin1');
      const op = line.split(' ', 1)[0].toUpperCase();
      const sized = ['PUB', 'HPUB', 'MSG', 'HMSG'].includes(op);
      const end = sized ? eol + 2 + Number(line.trim().split(/\s+/).at(-1)) + 2 : eol + 2;
      if (buf.length < end) return;
      onFrame(line, Buffer.from(buf.subarray(0, end)));
      buf = buf.subarray(end);
    }
  };
}

export async function startNatsProxy(upstreamPort: number): Promise<NatsProxy> {
  const port = await freePort();
  const log: ProxyEntry[] = [];
  const msgIdOfReply = new Map<string, string>();
  const held: Array<{ to: Socket; frame: Buffer; msgId: string }> = [];
  const sockets = new Set<Socket>();
  let holding = false;
  let kept: string | undefined;

  const server: Server = createServer((client) => {
    const upstream = tcpConnect({ port: upstreamPort, host: '127.0.0.1' });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on(
      'data',
      frames((line, frame) => {
        const args = line.trim().split(/\s+/);
        if (args[0].toUpperCase() === 'HPUB' && args.length === 5) {
          const msgId = /Nats-Msg-Id:\s*(\S+)/i.exec(frame.toString('latin1'))?.[1];
          if (msgId) {
            msgIdOfReply.set(args[2], msgId);
            log.push({ kind: 'pub', msgId });
          }
        }
        upstream.write(frame);
      }),
    );
    upstream.on(
      'data',
      frames((line, frame) => {
        const args = line.trim().split(/\s+/);
        const msgId = /^H?MSG$/i.test(args[0]) ? msgIdOfReply.get(args[1]) : undefined;
        if (msgId === undefined) {
          client.write(frame);
        } else if (holding || msgId === kept) {
          held.push({ to: client, frame, msgId });
        } else {
          log.push({ kind: 'ack', msgId });
          client.write(frame);
        }
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `nats://127.0.0.1:${port}`,
    log,
    hold: () => {
      holding = true;
    },
    release: (keep) => {
      holding = false;
      kept = keep;
      const still = held.filter((h) => h.msgId === keep);
      for (const { to, frame, msgId } of held.splice(0)) {
        if (msgId === keep) continue;
        log.push({ kind: 'ack', msgId });
        to.write(frame);
      }
      held.push(...still);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
