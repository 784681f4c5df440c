/**
 * One build of the service alone under load, in short rounds: `npm run bench:solo -- <dir>
 * [--seconds=6] [--rounds=2]`. For each round: deliveries/s, p99, the share of the wall time the
 * service's main thread (its event loop) was on a core, and CPU per delivery of the service, its
 * main thread, PostgreSQL and the load generator. Alternating two builds (`<dirA>`, `<dirB>`,
 * `<dirA>`, …) compares what a simultaneous A/B (`bench:ab`) cannot: changes to how the service
 * waits (pipelining, batch sizes), which only show when it has the machine to itself.
 */
import autocannon from 'autocannon';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  cpuSeconds,
  log,
  mainThreadCpuSeconds,
  postgresCpuSeconds,
  postmasterOf,
  signedDeliveries,
  startServiceBuild,
  stopChild,
} from './util';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const dir = resolve(argv.find((a) => !a.startsWith('--')) ?? '.');
const SECONDS = Number(option('seconds') ?? 6);
const ROUNDS = Number(option('rounds') ?? 2);
const SECRET = 'bench-webhook-secret-0123456789';
const WORK = resolve(__dirname, '..', '..', '.work');

async function main(): Promise<void> {
  mkdirSync(join(WORK, 'logs'), { recursive: true });
  const dataDir = join(WORK, `solo-${basename(dir)}`);
  const { child, port } = await startServiceBuild(
    dir,
    dataDir,
    SECRET,
    {},
    join(WORK, 'logs', 'solo.log'),
  );
  try {
    const pm = postmasterOf(dataDir).pid;
    const fire = (seconds: number, tag: string) =>
      autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: 32,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path: '/webhooks/bank/transactions',
            setupRequest: signedDeliveries(tag, SECRET),
          },
        ],
      });
    await fire(3, 'w');
    for (let round = 1; round <= ROUNDS; round++) {
      const t0 = mainThreadCpuSeconds(child.pid) ?? 0;
      const c0 = cpuSeconds(child.pid) ?? 0;
      const p0 = postgresCpuSeconds(pm);
      const g0 = process.cpuUsage();
      const r = await fire(SECONDS, `r${round}`);
      const g = process.cpuUsage(g0);
      const k = Math.max(r.requests.total, 1);
      const us = (s: number): string => ((s * 1e6) / k).toFixed(0);
      const thread = (mainThreadCpuSeconds(child.pid) ?? 0) - t0;
      log(
        `${basename(dir)} round ${round}: ${(k / r.duration).toFixed(0)}/s, p99 ${r.latency.p99} ms, ` +
          `non-2xx ${r.non2xx}; main thread busy ${((thread / r.duration) * 100).toFixed(0)} %; ` +
          `µs per delivery: service ${us((cpuSeconds(child.pid) ?? 0) - c0)} (main thread ` +
          `${us(thread)}), PostgreSQL ${us(postgresCpuSeconds(pm) - p0)}, load generator ` +
          `${us((g.user + g.system) / 1e6)}`,
      );
    }
  } finally {
    await stopChild(child);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
