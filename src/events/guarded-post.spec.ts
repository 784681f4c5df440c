import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postJson } from './guarded-post';

describe('postJson', () => {
  let server: Server;
  let port: number;
  let received = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      received++;
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts and answers the status', async () => {
    expect(await postJson(`http://127.0.0.1:${port}/hook`, {}, '{"a":1}', 2000, true)).toBe(204);
  });

  it('never connects to a private address a name resolves to, whatever a check before said', async () => {
    // "localhost" resolves to loopback at connect time: refused there, nothing is sent.
    const before = received;
    await expect(postJson(`http://localhost:${port}/hook`, {}, '{}', 2000, false)).rejects.toThrow(
      /resolved to a private, loopback or link-local address/,
    );
    expect(received).toBe(before);
    // Allowed (tests, local use): the same request goes through.
    expect(await postJson(`http://localhost:${port}/hook`, {}, '{}', 2000, true)).toBe(204);
  });

  it('gives up after the timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
      await expect(postJson(url, {}, '{}', 200, true)).rejects.toThrow(/no answer within 200 ms/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
