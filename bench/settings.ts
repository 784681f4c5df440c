/** The default bench's settings: command-line options and where things go. */
import { join, resolve } from 'node:path';
import { envList, startFlagsOf } from './util';

export const argv = process.argv.slice(2);
export const flag = (name: string): boolean => argv.includes(`--${name}`);
export const option = (name: string): string | undefined =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

export const QUICK = flag('quick');
export const ROOT = resolve(__dirname, '..', '..', '..');
export const BENCH = join(ROOT, 'bench');
export const WORK = join(BENCH, '.work');
export const BUILD = join(WORK, 'build');
export const DATA_DIR = join(WORK, 'data');
export const PROF_DIR = join(WORK, 'prof');
export const LOG_DIR = join(WORK, 'logs');
export const SERVICE_MAIN = join(ROOT, 'dist', 'src', 'main.js');

export const CONNECTIONS = 32;
export const PHASE_S = Number(option('seconds') ?? (QUICK ? 10 : 30));
export const WARMUP_S = QUICK ? 2 : 3;
// The ingest phases of the service and of limits (a), (a'), (a'') are interleaved: ROUNDS rounds,
// each giving every server PHASE_S / ROUNDS seconds in turn, so that the host's slow minutes
// (its speed moves by 20–30 % from one minute to the next) fall on all of them alike.
export const ROUNDS = Number(option('rounds') ?? (QUICK ? 2 : 3));
export const PGBENCH_S = QUICK ? 3 : 10;
export const PGBENCH_CLIENTS = [1, 8, 32, 64];
export const SIZES = (option('sizes') ?? (QUICK ? '10000' : '10000,100000,1000000'))
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
export const PROFILE_S = QUICK ? 5 : 10;
export const PROFILE = !flag('no-profile');
export const VARIANTS = flag('variants') || (!QUICK && !flag('no-variants'));
// A/B runs while tuning: (a') (unless --no-nest) and the service only, with the service's env
// from --env=K=V,K=V.
export const INGEST_ONLY = flag('ingest-only');
export const EXTRA_ENV = envList(option('env'));
// The node flags `npm start` runs the service with (package.json), so the bench measures the
// service as it is deployed. The limit servers get the same ones: one runtime for every server.
export const RUNTIME_FLAGS = startFlagsOf(ROOT);
// Extra node flags for the service in --ingest-only runs (--node-args=--trace-gc,--cpu-prof).
export const NODE_ARGS = (option('node-args') ?? '').split(',').filter((a) => a !== '');
// The same for the limit servers (--limit-node-args=--trace-gc), to compare like with like.
export const LIMIT_NODE_ARGS = (option('limit-node-args') ?? '').split(',').filter((a) => a !== '');
export const BACKLOG_WAIT_S = QUICK ? 20 : 120;

export const SECRET = 'bench-webhook-secret-0123456789';
export const ADMIN_KEY = 'bench-admin-key-0123456789abcdefghij';
export const PG_PASSWORD = 'bank-sync-embedded';
export const PATH = '/webhooks/bank/transactions';
