/**
 * Limit (a): a bare `node:http` server doing the intake's per-request work without a framework
 * or a database: read the body, HMAC-SHA256 over the raw bytes compared in constant time, event
 * id header, JSON.parse, a 202 with the same JSON answer as the service.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.WEBHOOK_SECRET ?? '';
const port = Number(process.env.PORT ?? 0);

function reply(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const header = req.headers['x-signature'];
    const hex = typeof header === 'string' ? header.replace(/^sha256=/, '') : '';
    const given = Buffer.from(hex, 'hex');
    const expected = createHmac('sha256', secret).update(raw).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply(res, 401, '{"title":"invalid signature"}');
    }
    const eventId = req.headers['x-event-id'];
    if (typeof eventId !== 'string' || eventId === '') {
      return reply(res, 400, '{"title":"no event id"}');
    }
    let body: { transaction_id?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8')) as { transaction_id?: unknown };
    } catch {
      return reply(res, 400, '{"title":"malformed JSON"}');
    }
    reply(
      res,
      202,
      JSON.stringify({
        ok: true,
        event_id: eventId,
        transaction_id: body.transaction_id ?? null,
        status: 'accepted',
        deduped: false,
      }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`ready ${typeof addr === 'object' && addr ? addr.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
