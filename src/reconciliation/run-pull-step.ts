import type { RunBankResult } from './reconciliation-run.entity';

/**
 * The first step of a run: pull each bank's transactions since its cursor and ingest the missing
 * ones (`source: pull`), before matching. Bank pull APIs are a later issue; until then the step
 * pulls nothing and reports no banks. Replace the provider of RUN_PULL_STEP to add it.
 */
export interface RunPullStep {
  pull(runId: string): Promise<RunBankResult[]>;
}

export const RUN_PULL_STEP = Symbol('RUN_PULL_STEP');

export class NoBankPullStep implements RunPullStep {
  async pull(): Promise<RunBankResult[]> {
    return [];
  }
}
