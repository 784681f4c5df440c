import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeHandler = (
  req: IncomingMessage,
  url: URL,
) => { status?: number; json?: unknown; delayMs?: number } | undefined;

/** A real HTTP server on loopback standing in for a bank's API. */
export interface FakeBank {
  url: string;
  requests: Array<{ method: string; path: string; authorization?: string }>;
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

export async function startFakeBank(initial?: FakeHandler): Promise<FakeBank> {
  let handler: FakeHandler = initial ?? (() => undefined);
  const requests: FakeBank['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
    });
    const answer = handler(req, url) ?? { status: 404, json: { errors: [{ status: '404' }] } };
    const send = (): void => {
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.json ?? {}));
    };
    if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (h) => {
      handler = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Up's TransactionResource, with the fields Bank Sync reads. */
export function upTransaction(
  id: string,
  opts: {
    value?: string;
    currency?: string;
    status?: 'HELD' | 'SETTLED';
    message?: string | null;
    description?: string;
    rawText?: string | null;
    /** Further attributes as Up sends them (foreignAmount, holdInfo, settledAt, ...). */
    attributes?: Record<string, unknown>;
  } = {},
): unknown {
  return {
    data: {
      type: 'transactions',
      id,
      attributes: {
        status: opts.status ?? 'SETTLED',
        rawText: opts.rawText ?? null,
        description: opts.description ?? 'Acme Pty Ltd',
        message: opts.message === undefined ? 'INV-001' : opts.message,
        isCategorizable: true,
        holdInfo: null,
        roundUp: null,
        cashback: null,
        amount: {
          currencyCode: opts.currency ?? 'AUD',
          value: opts.value ?? '50.00',
          valueInBaseUnits: 5000,
        },
        foreignAmount: null,
        settledAt: '2026-02-27T12:00:00+11:00',
        createdAt: '2026-02-27T12:00:00+11:00',
        ...opts.attributes,
      },
      relationships: {},
      links: { self: `/transactions/${id}` },
    },
  };
}

/** Up's WebhookEventCallback body. */
export function upEvent(
  eventId: string,
  eventType: string,
  transactionId?: string,
  link?: string,
): unknown {
  return {
    data: {
      type: 'webhook-events',
      id: eventId,
      attributes: { eventType, createdAt: '2026-02-27T12:00:01+11:00' },
      relationships: {
        webhook: {
          data: { type: 'webhooks', id: 'wh-1' },
          links: { related: 'https://api.up.com.au/api/v1/webhooks/wh-1' },
        },
        ...(transactionId
          ? {
              transaction: {
                data: { type: 'transactions', id: transactionId },
                links: { related: link },
              },
            }
          : {}),
      },
    },
  };
}
