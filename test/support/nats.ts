import { jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net';

/**
 * A real nats-server with JetStream (Debian's `nats-server`; CI installs it, .ci/run), on a free
 * loopback port with its own store directory, which survives `stop`/`kill9` and `start` again.
 */
export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  start(): Promise<void>;
  /** An orderly stop (SIGTERM), waited for. */
  stop(): Promise<void>;
  /** Dies at once (SIGKILL), waited for. */
  kill9(): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** @param args more nats-server arguments (a `-c` configuration file, say) */
export async function startNats(args: string[] = []): Promise<NatsServer> {
  if (spawnSync('nats-server', ['--version']).status !== 0) {
    throw new Error('nats-server not found: install it (Debian: apt-get install nats-server)');
  }
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'bank-sync-nats-'));
  let child: ChildProcess | null = null;
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => c.once('exit', () => resolve()));
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = null;
    if (!c) return;
    c.kill(signal);
    await exited(c);
  };
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async start() {
      if (child) return;
      const c = spawn(
        'nats-server',
        [...args, '-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', `${port}`],
        {
          stdio: 'ignore',
        },
      );
      child = c;
      const deadline = Date.now() + 10_000;
      while (!(await reachable(port))) {
        if (c.exitCode !== null) throw new Error(`nats-server exited (${c.exitCode})`);
        if (Date.now() > deadline) throw new Error('nats-server did not listen within 10 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () => halt('SIGTERM'),
    kill9: () => halt('SIGKILL'),
    async dispose() {
      await halt('SIGKILL');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

/** A stored bus message as the tests read it. */
export interface BusMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  body: { id: string; type: string; occurred_at: string; data: Record<string, unknown> };
}

/** Every message of `stream`, in the stream's order (a consumer would see them so). */
export async function readStream(url: string, stream = 'BANK_SYNC'): Promise<BusMessage[]> {
  const nc: NatsConnection = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: BusMessage[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages; seq++) {
      const m: StoredMsg | null = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (!m) continue; // deleted
      out.push({
        seq: m.seq,
        subject: m.subject,
        msgId: m.header?.get('Nats-Msg-Id') || undefined,
        body: m.json(),
      });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Whether `stream` exists on the server. */
export async function streamExists(url: string, stream = 'BANK_SYNC'): Promise<boolean> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.info(stream).then(
      () => true,
      () => false,
    );
  } finally {
    await nc.close();
  }
}

/** How many messages `stream` holds (0 while it does not exist). */
export async function streamCount(url: string, stream = 'BANK_SYNC'): Promise<number> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.info(stream).then(
      (i) => i.state.messages,
      () => 0,
    );
  } finally {
    await nc.close();
  }
}
