/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): top frames by self time, and self time
 * grouped by area (an npm package, a folder of the app, Node internals, GC, idle).
 *
 *   node bench/.work/build/profile-summary.js <file.cpuprofile> [top] [window url part]
 *
 * By default only the burst is summarized: the samples from the first to the last one in the
 * signature guard (`/dist/src/webhooks/signature.guard`, function canActivate).
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FrameRow {
  frame: string;
  area: string;
  selfMs: number;
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** What was summarized: the whole profile, or the window where `windowUrl` code ran. */
  window: string;
  totalMs: number;
  busyMs: number;
  frames: FrameRow[];
  areas: Array<{ area: string; selfMs: number; pct: number }>;
  /** Time with the area anywhere on the stack (a package and what it calls). */
  inclusiveAreas: Array<{ area: string; ms: number; pct: number }>;
  /** Time with the app function anywhere on the stack. */
  inclusiveApp: Array<{ frame: string; ms: number; pct: number }>;
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'node_modules/')
    .replace(/^.*\/dist\//, 'dist/');
}

export function areaOf(cf: CallFrame): string {
  const url = cf.url;
  if (!url) {
    if (cf.functionName.startsWith('(')) return cf.functionName; // (idle) (program) (gc)
    return 'native/builtin';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  const app = /\/dist\/src\/([^/]+)/.exec(url);
  if (app) return `app:${app[1]}`;
  return shortUrl(url);
}

/**
 * With `windowUrl`, only the samples between the first and the last one whose stack holds
 * function `windowFn` of a script whose url contains `windowUrl` (by default the signature
 * guard's canActivate: the burst, without the start-up and shutdown `--cpu-prof` also records).
 */
export function summarize(
  file: string,
  top = 25,
  windowUrl?: string,
  windowFn = 'canActivate',
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const at: number[] = [];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    at.push(t);
  }
  let from = 0;
  let to = profile.samples.length - 1;
  let window = 'whole profile';
  if (windowUrl) {
    const inWindow = new Map<number, boolean>();
    const hits = (id: number): boolean => {
      const known = inWindow.get(id);
      if (known !== undefined) return known;
      const node = byId.get(id);
      const up = parent.get(id);
      // The request path only: module top-level code and constructors run at start-up too.
      const own = Boolean(
        node?.callFrame.functionName === windowFn && node.callFrame.url.includes(windowUrl),
      );
      const v = own || (up !== undefined && hits(up));
      inWindow.set(id, v);
      return v;
    };
    const marked = profile.samples.map((id, i) => (hits(id) ? i : -1)).filter((i) => i >= 0);
    if (marked.length > 0) {
      from = marked[0];
      to = marked[marked.length - 1];
      window = `from the first to the last sample in ${windowFn} of ${windowUrl} (${((at[to] - at[from]) / 1e6).toFixed(1)} s)`;
    }
  }
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time between sample i-1 and sample i: charge it to sample i-1.
  for (let i = from; i <= to; i++) {
    const dt = i < to ? (profile.timeDeltas[i + 1] ?? 0) : 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(dt, 0));
  }
  const stackCache = new Map<number, { areas: Set<string>; app: Set<string> }>();
  const stackOf = (id: number): { areas: Set<string>; app: Set<string> } => {
    const known = stackCache.get(id);
    if (known) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const base =
      up !== undefined ? stackOf(up) : { areas: new Set<string>(), app: new Set<string>() };
    const mine = { areas: new Set(base.areas), app: new Set(base.app) };
    if (node) {
      const area = areaOf(node.callFrame);
      if (!area.startsWith('(') && area !== 'native/builtin') mine.areas.add(area);
      if (node.callFrame.url.includes('/dist/src/')) {
        mine.app.add(
          `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`,
        );
      }
    }
    stackCache.set(id, mine);
    return mine;
  };
  const inclArea = new Map<string, number>();
  const inclApp = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const st = stackOf(id);
    for (const a of st.areas) inclArea.set(a, (inclArea.get(a) ?? 0) + us);
    for (const f of st.app) inclApp.set(f, (inclApp.get(f) ?? 0) + us);
  }
  const totalUs = windowUrl ? at[to] - at[from] : profile.endTime - profile.startTime;
  const frames = new Map<string, { area: string; us: number }>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const cf = node.callFrame;
    const area = areaOf(cf);
    if (area === '(idle)') idleUs += us;
    const name = cf.url
      ? `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`
      : cf.functionName || '(anonymous)';
    const row = frames.get(name) ?? { area, us: 0 };
    row.us += us;
    frames.set(name, row);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const pct = (us: number): number => Math.round((us / Math.max(totalUs, 1)) * 1000) / 10;
  return {
    file,
    window,
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round((totalUs - idleUs) / 1000),
    frames: [...frames.entries()]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([frame, r]) => ({
        frame,
        area: r.area,
        selfMs: Math.round(r.us / 1000),
        pct: pct(r.us),
      })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, selfMs: Math.round(us / 1000), pct: pct(us) })),
    inclusiveAreas: [...inclArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, ms: Math.round(us / 1000), pct: pct(us) })),
    inclusiveApp: [...inclApp.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, us]) => ({ frame, ms: Math.round(us / 1000), pct: pct(us) })),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [
    `profile ${s.file}`,
    `  ${s.window}: ${s.totalMs} ms, ${s.busyMs} ms not idle`,
    '',
    'self time by area:',
    ...s.areas.map(
      (a) => `  ${a.pct.toFixed(1).padStart(5)}%  ${String(a.selfMs).padStart(7)} ms  ${a.area}`,
    ),
    '',
    'time with the area anywhere on the stack (inclusive):',
    ...s.inclusiveAreas.map(
      (a) => `  ${a.pct.toFixed(1).padStart(5)}%  ${String(a.ms).padStart(7)} ms  ${a.area}`,
    ),
    '',
    'app functions, inclusive:',
    ...s.inclusiveApp.map(
      (f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${String(f.ms).padStart(7)} ms  ${f.frame}`,
    ),
    '',
    'top frames by self time:',
    ...s.frames.map(
      (f) => `  ${f.pct.toFixed(1).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.frame}`,
    ),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/.work/build/profile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const windowUrl = process.argv[4] ?? '/dist/src/webhooks/signature.guard';
  console.log(formatSummary(summarize(file, Number(process.argv[3] ?? 25), windowUrl)));
}
