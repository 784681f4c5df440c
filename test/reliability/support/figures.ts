import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where each spec appends the figures of its run (quoted in docs/RELIABILITY.md). */
export const FIGURES_FILE =
  process.env.RELIABILITY_FIGURES ?? join(tmpdir(), 'bank-sync-reliability-figures.jsonl');

export function recordFigures(spec: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ spec, at: new Date().toISOString(), ...figures });
  appendFileSync(FIGURES_FILE, line + '\n');
  process.stdout.write(`[reliability] ${line}\n`);
}
