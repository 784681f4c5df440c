import type { RunBankResult } from './reconciliation-run.entity';

/**
 * The first step of a run: pull each bank's transactions since its cursor and ingest the missing
 * ones (`source: pull`), before matching.
 * Implemented by BankPullStep; an interface so runs can be tested with other pull steps.
 */
export interface RunPullStep {
  /** `stop` aborts what is still being pulled (the service is shutting down). */
  pull(runId: string, stop?: AbortSignal): Promise<RunBankResult[]>;
}

export const RUN_PULL_STEP = Symbol('RUN_PULL_STEP');
