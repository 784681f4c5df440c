/**
 * `npm run bench -- --part=bus`: how fast the relay moves outbox events to NATS JetStream,
 * against a bare NATS client publishing the same messages with acknowledgements, in the same
 * run (issue 22; target ≥ 0.7 ×).
 *
 * One nats-server with JetStream (Debian's `nats-server`, a temporary store), one service
 * (its own embedded PostgreSQL, `npm start`'s node flags, EVENTS_NATS_URL set). Per round:
 *   - relay: N events (pairs `transaction.received` / `transaction.processed` of one
 *     transaction each, the API's transaction shape) committed into the outbox in one
 *     statement; timed from that commit until the last is marked dispatched (acknowledged);
 *   - bare: the same N messages (same subjects, bodies, fresh Nats-Msg-Ids) published from this
 *     process with `@nats-io/jetstream`, each acknowledged, timed until the last
 *     acknowledgement: with a sliding window of 500 awaiting acknowledgement (the relay's
 *     window, IN_FLIGHT), then in awaited chunks of 500 (how the relay published before it
 *     pipelined its batches, the denominator of older figures), both with `noAsyncTraces` as
 *     the relay's sink connects; then in chunks with the client's defaults (a stack trace
 *     captured per publish, as the relay and the bare client had it before), for comparison.
 *     The ratio is the relay's rate over the faster of the first two (on a busy host the
 *     chunks, fewer and larger writes, often win).
 * CPU seconds of the service (node and its PostgreSQL), nats-server and this process are read
 * from /proc around each relay and sliding-window phase, per message: where the time goes.
 * Rounds alternate relay and bare, so a slow minute of this shared machine slows both.
 *
 * Ingest with the sink on against off is `npm run bench:ab` with `--env-a=EVENTS_NATS_URL=...`
 * (bench/RESULTS.md has the command). Options: --events=40000 --rounds=3 --dir=<checkout>
 * --env=K=V,K=V (the service's environment) --window=500 (the bare clients' window: the build's IN_FLIGHT).
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import {
  cliOption,
  envList,
  freePort,
  log,
  round,
  sleep,
  startServiceBuild,
  stopChild,
  BENCH_ADMIN_KEY,
  BENCH_ROOT,
  BENCH_SECRET,
  BENCH_WORK,
  EMBEDDED_PG_PASSWORD,
} from './util';

const DIR = resolve(cliOption('dir') ?? BENCH_ROOT);
const EVENTS = Number(cliOption('events') ?? 40_000);
const ROUNDS = Number(cliOption('rounds') ?? 3);
/** The relay's in-flight window (IN_FLIGHT in src/events/jetstream.sink.ts): the bare client's. */
const WINDOW = Number(cliOption('window') ?? 500);

async function startNats(dir: string): Promise<{ url: string; pid: number; stop(): void }> {
  if (spawnSync('nats-server', ['--version']).status !== 0) {
    throw new Error('nats-server not found: apt-get install nats-server');
  }
  const port = await freePort();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const proc = spawn('nats-server', ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', `${port}`], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 500; i++) {
    const up = await new Promise<boolean>((r) => {
      const s = tcpConnect({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (up) break;
    await sleep(20);
  }
  return { url: `nats://127.0.0.1:${port}`, pid: proc.pid!, stop: () => proc.kill('SIGTERM') };
}

/** CPU seconds (user + system) of `root` and (`below`) every process below it, from /proc. */
function treeCpuSeconds(root: number, below = true): number {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => {
      try {
        // Fields after the command name, which is in parentheses and may hold spaces.
        const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
        return { pid: Number(d), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
      } catch {
        return null; // exited meanwhile
      }
    })
    .filter((x) => x !== null);
  const inTree = new Set([root]);
  for (let grew = below; grew;) {
    grew = false;
    for (const p of stats) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  return stats.filter((p) => inTree.has(p.pid)).reduce((sum, p) => sum + p.ticks, 0) / 100;
}

/** CPU spent meanwhile by the service (node and its PostgreSQL), nats-server and this process. */
function cpuMeter(servicePid: number, natsPid: number): () => Record<string, number> {
  const read = () => ({
    service_node: treeCpuSeconds(servicePid, false),
    service_postgres: treeCpuSeconds(servicePid) - treeCpuSeconds(servicePid, false),
    nats: treeCpuSeconds(natsPid),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  });
  const before = read();
  return () => {
    const after = read();
    return Object.fromEntries(
      Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]]),
    );
  };
}

/** N events into the outbox in one commit; resolves with the time of that commit. */
async function fill(db: Client, round: number): Promise<number> {
  await db.query(
    `INSERT INTO outbox_events (id, type, payload)
     SELECT gen_random_uuid(), k.type, jsonb_build_object(
              'id', md5($2 || '-' || g)::uuid, 'bank_id', 'default', 'external_id', 'bus-' || $2 || '-' || g,
              'amount', '100.00', 'currency', 'NGN', 'direction', 'credit',
              'occurred_at', '2026-02-27T12:00:00.000Z', 'reference', 'INV-' || g,
              'description', 'Transfer', 'counterparty', 'Acme Ltd', 'source', 'webhook',
              'status', k.status, 'bank_status', 'booked', 'match_status', 'unmatched',
              'unallocated_amount', '100.00', 'attempts', 0, 'last_error', null,
              'created_at', '2026-02-27T12:00:00.100Z', 'processed_at', null)
       FROM generate_series(1, $1 / 2) g
       -- One transaction id per pair (a LATERAL gen_random_uuid() ran once: one aggregate).
      CROSS JOIN (VALUES (1, 'transaction.received', 'PENDING'),
                         (2, 'transaction.processed', 'PROCESSED')) k(n, type, status)
      ORDER BY g, k.n`,
    [EVENTS, round],
  );
  return performance.now();
}

/** The relay's rate; `onCommitted` runs once the events are in (a CPU meter starts there). */
async function relayRound(db: Client, n: number, onCommitted = () => {}): Promise<number> {
  const committed = await fill(db, n);
  onCommitted();
  // A cheap look every 20 ms: counting the waiting rows each time took CPU from the relay.
  for (;;) {
    const r = await db.query<{ waiting: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM outbox_events WHERE dispatched_at IS NULL) AS waiting`,
    );
    if (!r.rows[0].waiting) break;
    await sleep(20);
  }
  return EVENTS / ((performance.now() - committed) / 1000);
}

/**
 * `sliding`: WINDOW publishes awaiting acknowledgement at any time, as the relay has them (the
 * relay's way); `chunks`: WINDOW at a time, each chunk awaited before the next (the
 * relay's way until it pipelined its batches; shown for comparison with older figures).
 */
async function bareRound(
  url: string,
  messages: Array<{ subject: string; body: string; id: string }>,
  n: string,
  mode: 'sliding' | 'chunks' | 'publisher',
  noAsyncTraces = true,
): Promise<number> {
  // As the relay's sink connects: no stack trace captured per publish (JetStreamSink).
  const nc = await connect({ servers: url, noAsyncTraces });
  const js = jetstream(nc, { timeout: 5000 });
  const publisher = mode === 'publisher' ? relayPublisher(nc) : null;
  const started = performance.now();
  const publish = (m: (typeof messages)[number]) =>
    publisher
      ? publisher.publish(m.subject, m.body, `${m.id}-bare-${n}`)
      : js.publish(m.subject, m.body, { msgID: `${m.id}-bare-${n}`, timeout: 5000 });
  if (mode === 'chunks') {
    for (let i = 0; i < messages.length; i += WINDOW) {
      await Promise.all(messages.slice(i, i + WINDOW).map(publish));
    }
  } else {
    // A sliding window: the next message goes out as soon as any acknowledgement is back.
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < messages.length) await publish(messages[next++]);
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
  }
  const rate = messages.length / ((performance.now() - started) / 1000);
  publisher?.close();
  await nc.close();
  return rate;
}

interface Publisher {
  publish(subject: string, payload: string, msgId: string): Promise<unknown>;
  close(): void;
}

/**
 * The relay's own publisher (src/events/jetstream-publisher.ts, one reply subscription for all
 * acknowledgements instead of a request each) in the build under test; a build from before it
 * has none, and its rounds show no such column.
 */
const RELAY_PUBLISHER = join(DIR, 'dist/src/events/jetstream-publisher.js');

function relayPublisher(nc: unknown): Publisher {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { JetStreamPublisher } = require(RELAY_PUBLISHER) as {
    JetStreamPublisher: new (nc: unknown, timeoutMs: number) => Publisher;
  };
  return new JetStreamPublisher(nc, 5000);
}

export async function busBench(): Promise<void> {
  const work = join(BENCH_WORK, 'bus');
  mkdirSync(work, { recursive: true });
  const nats = await startNats(join(work, 'nats'));
  // A service that fails to start must not leave the broker running.
  const service = await startServiceBuild(
    DIR,
    join(work, 'data'),
    BENCH_SECRET,
    {
      EVENTS_NATS_URL: nats.url,
      ADMIN_API_KEY: BENCH_ADMIN_KEY,
      // The relay finds the committed rows within 50 ms instead of its 0.5 s idle poll.
      BACKGROUND_POLL_MS: '50',
      ...envList(cliOption('env')),
    },
    join(work, 'service.log'),
  ).catch((err: unknown) => {
    nats.stop();
    throw err;
  });
  const db = new Client({
    connectionString: `postgres://postgres:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${service.env.EMBEDDED_PG_PORT}/bank_sync`,
  });
  await db.connect();
  const rounds: Array<{
    relay: number;
    bare: number;
    ratio: number;
    bare_chunks: number;
    bare_chunks_default_options: number;
    bare_relay_publisher: number | null;
    ratio_to_relay_publisher: number | null;
  }> = [];
  // CPU µs per message, summed over the rounds: where the time goes, on a machine whose other
  // load makes the rates swing.
  const cpu: Record<'relay' | 'bare', Record<string, number>> = { relay: {}, bare: {} };
  const addCpu = (phase: 'relay' | 'bare', spent: Record<string, number>) => {
    for (const [k, v] of Object.entries(spent)) cpu[phase][k] = (cpu[phase][k] ?? 0) + v;
  };
  let sinkMsPerBatch: number;
  const withPublisher = existsSync(RELAY_PUBLISHER);
  try {
    // Warm-up: the stream is created, the connection and the JIT are warm.
    await relayRound(db, 0);
    for (let n = 1; n <= ROUNDS; n++) {
      // Metered from the commit that filled the outbox: the fill is the bench's own work.
      let meter = () => ({});
      const relay = await relayRound(db, n, () => (meter = cpuMeter(service.child.pid, nats.pid)));
      addCpu('relay', meter());
      // The same messages the relay just published: subjects and bodies as the sink builds them.
      const rows = await db.query<{ id: string; type: string; payload: unknown; created_at: Date }>(
        `SELECT id, type, payload, created_at FROM outbox_events
          WHERE payload->>'external_id' LIKE $1 ORDER BY seq`,
        [`bus-${n}-%`],
      );
      const messages = rows.rows.map((e) => ({
        id: e.id,
        subject: `bank_sync.${e.type}`,
        body: JSON.stringify({
          id: e.id,
          type: e.type,
          occurred_at: e.created_at.toISOString(),
          data: e.payload,
        }),
      }));
      meter = cpuMeter(service.child.pid, nats.pid);
      const bare = await bareRound(nats.url, messages, `${n}`, 'sliding');
      addCpu('bare', meter());
      const chunks = await bareRound(nats.url, messages, `${n}-chunks`, 'chunks');
      // The client's defaults (a stack trace per publish), as the relay had them before.
      const traced = await bareRound(nats.url, messages, `${n}-traced`, 'chunks', false);
      // Not the baseline (that is the client's own publish), shown beside it: the same sliding
      // window through the relay's publisher, what the broker takes from this process that way.
      const own = withPublisher
        ? await bareRound(nats.url, messages, `${n}-publisher`, 'publisher')
        : null;
      rounds.push({
        relay: round(relay, 0),
        bare: round(bare, 0),
        ratio: round(relay / Math.max(bare, chunks), 3),
        bare_chunks: round(chunks, 0),
        bare_chunks_default_options: round(traced, 0),
        bare_relay_publisher: own === null ? null : round(own, 0),
        ratio_to_relay_publisher: own === null ? null : round(relay / own, 3),
      });
      log(
        `round ${n}: relay ${round(relay, 0)} events/s, bare client ${round(bare, 0)} msgs/s` +
          ` (in chunks of ${WINDOW}: ${round(chunks, 0)}; with the client's defaults: ${round(traced, 0)};` +
          ` through the relay's publisher: ${own === null ? '–' : round(own, 0)})`,
      );
    }
    const metrics = await fetch(`http://127.0.0.1:${service.port}/metrics`, {
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` },
    }).then((r) => r.text());
    const figure = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const batches = figure('bank_sync_event_bus_batch_seconds_count{outcome="ok"}');
    sinkMsPerBatch =
      (figure('bank_sync_event_bus_batch_seconds_sum{outcome="ok"}') / batches) * 1000;
    log(`sink: ${batches} batches, ${round(sinkMsPerBatch, 1)} ms each in publish (acks included)`);
  } finally {
    await db.end();
    await stopChild(service.child);
    nats.stop();
  }
  const ratios = rounds.map((r) => r.ratio).sort((a, b) => a - b);
  const result = {
    events_per_round: EVENTS,
    window: WINDOW,
    cpu_us_per_message: Object.fromEntries(
      Object.entries(cpu).map(([phase, byProcess]) => [
        phase,
        Object.fromEntries(
          Object.entries(byProcess).map(([k, v]) => [k, round((v / (EVENTS * ROUNDS)) * 1e6, 1)]),
        ),
      ]),
    ),
    sink_ms_per_batch: round(sinkMsPerBatch, 1),
    rounds,
    median_ratio: ratios[Math.floor(ratios.length / 2)],
  };
  writeFileSync(join(BENCH_WORK, 'bus.json'), JSON.stringify(result, null, 2));
  log(`relay / bare client: median ${result.median_ratio} × (target ≥ 0.7)`);
  log(`CPU µs per message: ${JSON.stringify(result.cpu_us_per_message)}`);
  process.stdout.write(
    [
      "| round | relay → JetStream (events/s) | bare, sliding window of 500 (msgs/s) | bare, awaited chunks of 500 (msgs/s) | relay / faster bare | bare, chunks, client defaults (msgs/s) | bare through the relay's publisher (msgs/s) | relay / that |",
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rounds.map(
        (r, i) =>
          `| ${i + 1} | ${r.relay} | ${r.bare} | ${r.bare_chunks} | ${r.ratio} × | ${r.bare_chunks_default_options} | ${r.bare_relay_publisher ?? '–'} | ${r.ratio_to_relay_publisher === null ? '–' : `${r.ratio_to_relay_publisher} ×`} |`,
      ),
    ].join('\n') + '\n',
  );
}
