/**
 * `npm run bench -- --part latency`: time to money. How long after a bank sends a payment does
 * a subscriber hear `invoice.paid`, at steady rates of webhooks, and where does the time go?
 *
 * One service (its own embedded PostgreSQL, `npm start`'s node flags), one subscriber on
 * loopback (this process) subscribed to `invoice.paid`, and invoices created up front, one per
 * webhook. Each webhook names its own invoice with the exact amount, so each is one
 * `invoice.paid`. Steps:
 *   1. intake capacity: 32 connections for a few seconds (closed loop, as the ingest bench);
 *   2. steady rates, open loop (a send every 1/rate s whatever the answers do): 50, 200, 500,
 *      1000/s and 25, 50, 65, 80 % of the capacity, each for --step-seconds; per step p50, p90,
 *      p99 and max of webhook sent → `invoice.paid` received, and the same split by stage from
 *      the service's own timestamps (202 answered, claimed by the worker = processed_at, matched
 *      = the allocation's created_at, relayed = the event's dispatched_at, delivered);
 *   3. a burst: 10 s at 32 connections (above capacity), then how long the backlog takes to
 *      drain (the last `invoice.paid` received after the burst ended).
 * Writes bench/.work/latency.json; prints a Markdown table for bench/RESULTS.md.
 *
 * Options: --step-seconds=10 --rates=50,200 (instead of the default list) --burst-seconds=10
 * --env=K=V,K=V (the service's environment) --dir=<checkout> (another build, for before/after).
 */
import autocannon from 'autocannon';
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import {
  cliOption,
  cpuSeconds,
  envList,
  hmacHex,
  postgresCpuSeconds,
  postmasterOf,
  http,
  log,
  round,
  sleep,
  startServiceBuild,
  stopChild,
  type Child,
  BENCH_ADMIN_KEY,
  BENCH_ROOT,
  BENCH_SECRET,
  BENCH_WORK,
  EMBEDDED_PG_PASSWORD,
} from './util';

const option = cliOption;

const ROOT = BENCH_ROOT;
const DIR = resolve(option('dir') ?? ROOT);
const WORK = BENCH_WORK;
const STEP_S = Number(option('step-seconds') ?? 10);
const BURST_S = Number(option('burst-seconds') ?? 10);
const SECRET = BENCH_SECRET;
const ADMIN_KEY = BENCH_ADMIN_KEY;
const PG_PASSWORD = EMBEDDED_PG_PASSWORD;
const PATH = '/webhooks/bank/transactions';
const EXTRA_ENV = envList(cliOption('env'));

/** Wall-clock milliseconds with sub-millisecond precision (comparable with PostgreSQL's now()). */
const nowMs = (): number => performance.timeOrigin + performance.now();

interface Sent {
  sentAt: number;
  ackAt: number | null;
  status: number | null;
}

/** The subscriber: records when each invoice's `invoice.paid` arrived. */
interface Subscriber {
  url: string;
  received: Map<string, number>;
  close(): Promise<void>;
}

async function startSubscriber(): Promise<Subscriber> {
  const received = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          type: string;
          data: { invoice_number?: string };
        };
        const number = event.data.invoice_number;
        if (event.type === 'invoice.paid' && number && !received.has(number)) {
          received.set(number, at);
        }
      } catch {
        // not ours
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function delivery(number: string): { body: string; headers: Record<string, string> } {
  const body =
    `{"transaction_id":"txn-${number}","amount":"100.00","currency":"NGN",` +
    `"occurred_at":"2026-02-27T12:00:00Z","reference":"${number}","description":"Transfer",` +
    `"direction":"credit","counterparty":"Acme Ltd"}`;
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'x-event-id': `evt-${number}`,
      'x-signature': hmacHex(SECRET, body),
    },
  };
}

async function createInvoices(c: Client, prefix: string, n: number): Promise<void> {
  await c.query(
    `INSERT INTO invoices (invoice_number, normalized_number, currency, amount_due)
     SELECT $1 || '-' || g, lower($1) || g, 'NGN', 100 FROM generate_series(0, $2 - 1) g`,
    [prefix, n],
  );
}

/** Sends `rate` deliveries a second for `seconds`, open loop; resolves when all are answered. */
async function steady(
  port: number,
  prefix: string,
  rate: number,
  seconds: number,
): Promise<Map<string, Sent>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sent = new Map<string, Sent>();
  const total = Math.round(rate * seconds);
  const pending: Array<Promise<void>> = [];
  const start = nowMs();
  let n = 0;
  const send = (number: string): Promise<void> =>
    new Promise((done) => {
      const d = delivery(number);
      const entry: Sent = { sentAt: nowMs(), ackAt: null, status: null };
      sent.set(number, entry);
      const req = request(
        { host: '127.0.0.1', port, path: PATH, method: 'POST', headers: d.headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            entry.ackAt = nowMs();
            entry.status = res.statusCode ?? null;
            done();
          });
        },
      );
      req.on('error', () => done());
      req.end(d.body);
    });
  while (n < total) {
    const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate) + 1);
    while (n < due) pending.push(send(`${prefix}-${n++}`));
    await sleep(1);
  }
  await Promise.all(pending);
  agent.destroy();
  return sent;
}

/** Waits until every invoice of `numbers` was announced, or `timeoutMs` passed. */
async function waitAnnounced(sub: Subscriber, numbers: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && numbers.some((n) => !sub.received.has(n))) await sleep(50);
}

interface StageRow {
  invoice_number: string;
  committed: number;
  processed: number;
  matched: number;
  relayed: number | null;
  delivered: number | null;
}

async function stages(c: Client, prefix: string): Promise<Map<string, StageRow>> {
  const ms = (col: string) => `extract(epoch FROM ${col}) * 1000`;
  const r = await c.query<StageRow>(
    `SELECT i.invoice_number,
            ${ms('t.created_at')} AS committed, ${ms('t.processed_at')} AS processed,
            ${ms('m.created_at')} AS matched, ${ms('e.dispatched_at')} AS relayed,
            ${ms('d.delivered_at')} AS delivered
       FROM invoices i
       JOIN transaction_matches m ON m.invoice_id = i.id AND m.reversed_at IS NULL
       JOIN transactions t ON t.id = m.transaction_id
       LEFT JOIN (SELECT id, dispatched_at, payload->>'id' AS invoice_id FROM outbox_events
                   WHERE type = 'invoice.paid' AND data->>'invoice_number' LIKE $1 || '-%') e
              ON e.invoice_id = i.id::text
       LEFT JOIN webhook_deliveries d ON d.event_id = e.id
      WHERE i.invoice_number LIKE $1 || '-%'`,
    [prefix],
  );
  return new Map(
    r.rows.map((row) => [
      row.invoice_number,
      {
        invoice_number: row.invoice_number,
        committed: Number(row.committed),
        processed: Number(row.processed),
        matched: Number(row.matched),
        relayed: row.relayed === null ? null : Number(row.relayed),
        delivered: row.delivered === null ? null : Number(row.delivered),
      },
    ]),
  );
}

interface Quantiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function quantiles(xs: number[]): Quantiles | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return {
    p50: round(q(0.5), 1),
    p90: round(q(0.9), 1),
    p99: round(q(0.99), 1),
    max: round(s[s.length - 1], 1),
  };
}

interface StepResult {
  rate: number;
  sent: number;
  accepted: number;
  announced: number;
  /** sent → each stage (ms after the webhook was sent). */
  answered: Quantiles | null;
  claimed: Quantiles | null;
  matched: Quantiles | null;
  relayed: Quantiles | null;
  received: Quantiles | null;
  /** CPU per payment, webhook to invoice.paid received (µs): service, PostgreSQL, this process. */
  cpu_us: { service: number; postgres: number; bench: number };
}

interface Pids {
  service: number;
  postmaster: number;
}

async function measureStep(
  pids: Pids,
  svcPort: number,
  db: Client,
  sub: Subscriber,
  prefix: string,
  rate: number,
  seconds: number,
): Promise<StepResult> {
  await createInvoices(db, prefix, Math.round(rate * seconds));
  await sleep(500);
  const before = {
    service: cpuSeconds(pids.service) ?? 0,
    postgres: postgresCpuSeconds(pids.postmaster),
    bench: process.cpuUsage(),
  };
  const sent = await steady(svcPort, prefix, rate, seconds);
  const numbers = [...sent.keys()];
  await waitAnnounced(sub, numbers, 60_000);
  const perPayment = (s: number) => round((s * 1e6) / numbers.length, 0);
  const benchCpu = process.cpuUsage(before.bench);
  const cpu_us = {
    service: perPayment((cpuSeconds(pids.service) ?? 0) - before.service),
    postgres: perPayment(postgresCpuSeconds(pids.postmaster) - before.postgres),
    bench: perPayment((benchCpu.user + benchCpu.system) / 1e6),
  };
  await sleep(200);
  const rows = await stages(db, prefix);
  const of = (f: (n: string, s: Sent) => number | null | undefined): number[] =>
    numbers.flatMap((n) => {
      const v = f(n, sent.get(n)!);
      return v === null || v === undefined ? [] : [v];
    });
  const since = (col: keyof StageRow) =>
    quantiles(
      of((n, s) => {
        const v = rows.get(n)?.[col];
        return typeof v === 'number' ? v - s.sentAt : null;
      }),
    );
  return {
    rate,
    sent: numbers.length,
    accepted: numbers.filter((n) => sent.get(n)!.status === 202).length,
    announced: numbers.filter((n) => sub.received.has(n)).length,
    answered: quantiles(of((_, s) => (s.ackAt === null ? null : s.ackAt - s.sentAt))),
    claimed: since('processed'),
    matched: since('matched'),
    relayed: since('relayed'),
    received: quantiles(
      of((n, s) => {
        const at = sub.received.get(n);
        return at === undefined ? null : at - s.sentAt;
      }),
    ),
    cpu_us,
  };
}

/** Closed loop at 32 connections, each delivery naming its own invoice; deliveries/s answered. */
async function burst(
  port: number,
  db: Client,
  prefix: string,
  seconds: number,
  invoices: number,
): Promise<{ rps: number; numbers: string[]; endedAt: number }> {
  await createInvoices(db, prefix, invoices);
  let n = 0;
  const numbers: string[] = [];
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${PATH}`,
    method: 'POST',
    connections: 32,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const number = `${prefix}-${n++ % invoices}`;
          numbers.push(number);
          const { body, headers } = delivery(number);
          delete headers['content-length'];
          return { ...req, body, headers: { ...req.headers, ...headers } };
        },
      },
    ],
  });
  const ok = result['2xx'];
  if (ok === 0)
    throw new Error(`no 2xx answer in the burst: ${JSON.stringify(result.statusCodeStats)}`);
  return { rps: ok / seconds, numbers, endedAt: nowMs() };
}

const fmt = (q: Quantiles | null): string => (q ? `${q.p50} / ${q.p99}` : '-');

async function main(): Promise<void> {
  mkdirSync(join(WORK, 'logs'), { recursive: true });
  log(`latency bench of ${DIR}, steps of ${STEP_S} s`);
  let child: Child | null = null;
  const sub = await startSubscriber();
  try {
    const started = await startServiceBuild(
      DIR,
      join(WORK, 'latency-data'),
      SECRET,
      { ADMIN_API_KEY: ADMIN_KEY, ALLOW_PRIVATE_SUBSCRIBER_URLS: 'true', ...EXTRA_ENV },
      join(WORK, 'logs', 'latency-service.log'),
    );
    child = started.child;
    const port = started.port;
    const pids = {
      service: child.pid,
      postmaster: postmasterOf(join(WORK, 'latency-data')).pid,
    };
    const db = new Client({
      connectionString: `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${started.env.EMBEDDED_PG_PORT}/bank_sync`,
    });
    await db.connect();
    const res = await http(
      'POST',
      `http://127.0.0.1:${port}/subscriptions`,
      { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      JSON.stringify({ url: sub.url, events: ['invoice.paid'] }),
    );
    if (res.status !== 201) throw new Error(`subscription: ${res.status} ${res.body}`);

    // 1. capacity: the webhook answer rate at 32 connections, after a warm-up.
    const warm = await burst(port, db, 'WARM', 3, 50_000);
    await waitAnnounced(sub, warm.numbers, 120_000);
    const cap = await burst(port, db, 'CAP', 5, 100_000);
    const capacity = Math.round(cap.rps);
    log(`intake capacity ${capacity} deliveries/s at 32 connections`);
    await waitAnnounced(sub, cap.numbers, 120_000);
    await sleep(2000);

    // 2. steady rates.
    const fixed = option('rates')
      ?.split(',')
      .map(Number)
      .filter((x) => x > 0);
    const rates = fixed ?? [
      ...new Set(
        [50, 200, 500, 1000, ...[0.25, 0.5, 0.65, 0.8].map((f) => Math.round(capacity * f))]
          .filter((r) => r <= capacity * 0.8)
          .sort((a, b) => a - b),
      ),
    ];
    const steps: StepResult[] = [];
    for (const [i, rate] of rates.entries()) {
      const r = await measureStep(pids, port, db, sub, `S${i}R${rate}`, rate, STEP_S);
      steps.push(r);
      log(
        `${rate}/s (${round(rate / capacity, 2)} of capacity): sent→invoice.paid p50/p90/p99/max ` +
          `${r.received?.p50}/${r.received?.p90}/${r.received?.p99}/${r.received?.max} ms; ` +
          `answered ${fmt(r.answered)}, claimed ${fmt(r.claimed)}, matched ${fmt(r.matched)}, ` +
          `relayed ${fmt(r.relayed)}; ${r.announced} of ${r.sent} announced; CPU µs per ` +
          `payment: service ${r.cpu_us.service}, PostgreSQL ${r.cpu_us.postgres}, bench ${r.cpu_us.bench}`,
      );
      await sleep(1000);
    }

    // 3. burst above capacity, then the drain.
    const b = await burst(port, db, 'BURST', BURST_S, 200_000);
    await waitAnnounced(sub, b.numbers, 300_000);
    const last = Math.max(...b.numbers.map((n) => sub.received.get(n) ?? 0));
    const drainS = round((last - b.endedAt) / 1000, 2);
    log(
      `burst: ${Math.round(b.rps)} deliveries/s for ${BURST_S} s (${round(b.rps / capacity, 2)} ` +
        `of the capacity run); the last invoice.paid ${drainS} s after the burst ended`,
    );
    await db.end();

    const table = [
      '| rate /s | of capacity | sent → invoice.paid p50 | p90 | p99 | max | answered p50 / p99 | claimed | matched | relayed | announced | CPU µs per payment (service + PostgreSQL + bench) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...steps.map(
        (s) =>
          `| ${s.rate} | ${round(s.rate / capacity, 2)} | ${s.received?.p50 ?? '-'} ms | ` +
          `${s.received?.p90 ?? '-'} | ${s.received?.p99 ?? '-'} | ${s.received?.max ?? '-'} | ` +
          `${fmt(s.answered)} | ${fmt(s.claimed)} | ${fmt(s.matched)} | ${fmt(s.relayed)} | ` +
          `${s.announced} / ${s.sent} | ${s.cpu_us.service} + ${s.cpu_us.postgres} + ${s.cpu_us.bench} |`,
      ),
    ].join('\n');
    console.log(
      `\ncapacity ${capacity}/s; burst ${Math.round(b.rps)}/s, drained ${drainS} s after\n`,
    );
    console.log(table);
    writeFileSync(
      join(WORK, 'latency.json'),
      JSON.stringify({ dir: DIR, capacity, steps, burst: { rps: b.rps, drainS } }, null, 2),
    );
    if (steps.some((s) => s.announced < s.sent)) process.exitCode = 1;
  } finally {
    await sub.close();
    if (child) await stopChild(child);
  }
}

export function latencyBench(): Promise<void> {
  return main();
}
