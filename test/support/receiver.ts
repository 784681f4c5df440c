import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
  headers: Record<string, string>;
}

/** A subscriber's endpoint: verifies every delivery with the standardwebhooks package. */
export interface Receiver {
  url: string;
  port: number;
  received: ReceivedEvent[];
  rejected: number;
  /** Status to answer per request (default 200). */
  respond: (event: ReceivedEvent) => number;
  secrets: string[];
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const receiver: Omit<Receiver, 'url' | 'port' | 'close'> = {
    received: [],
    rejected: 0,
    respond: () => 200,
    secrets: [],
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const payload = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.join(',') : (v ?? ''),
        ]),
      );
      const verified = receiver.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(payload, headers);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) {
        receiver.rejected++;
        res.writeHead(401).end();
        return;
      }
      const event = { ...(JSON.parse(payload) as Omit<ReceivedEvent, 'headers'>), headers };
      const status = receiver.respond(event);
      if (status >= 200 && status < 300) receiver.received.push(event);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${actual}/hook`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
