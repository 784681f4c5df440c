import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BanksService } from '../banks/banks.service';
import { isWithinBaseUrl } from '../banks/up-client';
import { storableMessage } from '../common/storable-text';
import { returning } from '../database/sql';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { pullTransactions, type PulledTransaction } from '../banks/pull/pull-client';
import { MetricsService } from '../metrics/metrics.service';
import { IntakeService, type IntakeItem } from '../intake/intake.service';
import type { RunBankResult } from './reconciliation-run.entity';
import type { RunPullStep } from './run-pull-step';

/** Late-posted transactions can carry a time before the last pull; re-read this much. */
export const PULL_OVERLAP_MS = 15 * 60_000;
/** Banks pulled at the same time: their pages share the group-committed write path. */
export const BANKS_AT_ONCE = 4;
/** Up holds re-checked per bank per run. */
const HOLD_RECHECK_BATCH = 500;
/** A bank pulled for the first time: how far back to look. */
export const FIRST_PULL_LOOKBACK_MS = 24 * 3_600_000;

/**
 * The first step of a run: for every bank with an API, pull its transactions since its cursor
 * and ingest them through the same write path as webhooks (same normalization, same unique
 * indexes), as `source: pull`. A transaction a webhook already brought is not duplicated. One
 * failing bank is recorded on the run and does not stop the others.
 */
@Injectable()
export class BankPullStep implements RunPullStep {
  private readonly logger = new Logger('BankPull');
  private readonly pullErrors;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly banks: BanksService,
    private readonly intake: IntakeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.pullErrors = metrics.counter(
      'bank_sync_bank_pull_errors_total',
      "Bank pulls that failed (the bank's API, or PULL_BANK_BUDGET_MS ran out), by bank",
      ['bank'],
    );
  }

  /**
   * Pulls every bank with an API, a few at a time, each within its time budget
   * (`PULL_BANK_BUDGET_MS`): one slow bank neither holds up the others nor the match step, and
   * what it did not serve in time the next run continues (its position is saved page by page).
   */
  async pull(runId: string, stop?: AbortSignal): Promise<RunBankResult[]> {
    const ids = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM banks WHERE api_kind IS NOT NULL ORDER BY id`,
    );
    const results: RunBankResult[] = new Array<RunBankResult>(ids.length);
    let nextIndex = 0;
    const worker = async (): Promise<void> => {
      while (nextIndex < ids.length) {
        const i = nextIndex++;
        results[i] = await this.pullBank(runId, ids[i].id, stop);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BANKS_AT_ONCE, ids.length) }, worker));
    return results;
  }

  private async pullBank(
    runId: string,
    bankId: string,
    stop: AbortSignal | undefined,
  ): Promise<RunBankResult> {
    const startedAt = new Date();
    let pulled = 0;
    let pages = 0;
    let resumed = false;
    const signal = budget(this.config.pull.bankBudgetMs, stop);
    this.pullErrors.inc({ bank: bankId }, 0); // the series exists before its first error
    try {
      const bank = await this.banks.resolve(bankId);
      if (!bank?.api) return { bank_id: bankId, pulled_count: 0, error: 'no API configured' };
      if (bank.api.kind === 'up') await this.recheckHolds(runId, bankId);
      const cursor = await this.cursor(bankId, startedAt);
      // A chain a previous run could not finish goes on where it stopped, unless the bank's
      // base_url has changed since (its links would be refused): then it starts again.
      const resume =
        cursor.resumeUrl && isWithinBaseUrl(cursor.resumeUrl, bank.api.baseUrl) ? cursor : null;
      const chainStartedAt = resume?.resumeStartedAt ?? startedAt;
      resumed = resume !== null;
      const options = {
        since: cursor.since,
        timeoutMs: this.config.pull.timeoutMs,
        retries: this.config.pull.retries,
        maxPages: this.config.pull.maxPages,
        signal,
        ...(resume?.resumeUrl ? { resumeFrom: resume.resumeUrl } : {}),
      };
      let next: string | null = null;
      for await (const page of pullTransactions(bank.api, options)) {
        pages++;
        // Each page is committed (awaited) before the next one is requested, and the chain's
        // position after it is saved: a run that stops (page limit, failure, crash) loses no
        // page it committed, and the next run goes on from there.
        const outcomes = await Promise.all(
          page.items.map((p) => this.intake.submit(toItem(bankId, p))),
        );
        pulled += outcomes.filter((o) => o.transactionWritten).length;
        for (const bad of page.invalid) {
          this.logger.warn(
            `run ${runId}: bank ${bankId} sent an unusable transaction ${bad.externalId ?? '?'}: ${bad.reason}`,
          );
        }
        next = page.nextUrl;
        if (next !== null) await this.saveResume(bankId, next, chainStartedAt);
        if (pages % 10 === 0) {
          this.logger.log(
            `run ${runId}: bank ${bankId}: ${pages} pages, ${pulled} new transactions`,
          );
        }
      }
      if (next !== null) {
        // The page limit: not a failure of the bank, but worth seeing on the run.
        const message =
          `more than ${pages} pages in one run; the next run continues the chain ` +
          `(the cursor moves once it is finished)`;
        this.logger.warn(`run ${runId}: bank ${bankId}: ${message}`);
        await this.saveCursor(bankId, null, message);
        return { bank_id: bankId, pulled_count: pulled, error: message };
      }
      await this.saveCursor(bankId, chainStartedAt, null);
      this.logger.log(
        `run ${runId}: bank ${bankId}: pulled ${pulled} new transactions in ${pages} pages`,
      );
      return { bank_id: bankId, pulled_count: pulled, error: null };
    } catch (err) {
      const message =
        signal.aborted && !stop?.aborted
          ? `took longer than PULL_BANK_BUDGET_MS (${this.config.pull.bankBudgetMs} ms) after ` +
            `${pages} pages; the next run continues the chain`
          : storableMessage(err instanceof Error ? err.message : String(err));
      this.logger.warn(`run ${runId}: bank ${bankId} pull failed after ${pages} pages: ${message}`);
      // A shutdown cutting the pull short is not the bank's failure.
      if (!stop?.aborted) this.pullErrors.inc({ bank: bankId });
      await this.saveCursor(bankId, null, message).catch(() => undefined);
      // A resumed chain that fails at once (a bank cursor that expired, say) starts over from
      // `since` next time: more pages, never fewer transactions.
      if (resumed && pages === 0) await this.clearResume(bankId).catch(() => undefined);
      return { bank_id: bankId, pulled_count: pulled, error: message };
    }
  }

  private async cursor(
    bankId: string,
    now: Date,
  ): Promise<{ since: Date; resumeUrl: string | null; resumeStartedAt: Date | null }> {
    const [row] = await this.dataSource.query<
      Array<{ since: Date; resume_url: string | null; resume_started_at: Date | null }>
    >(`SELECT since, resume_url, resume_started_at FROM bank_pull_cursors WHERE bank_id = $1`, [
      bankId,
    ]);
    return {
      since: row
        ? new Date(row.since.getTime() - PULL_OVERLAP_MS)
        : new Date(now.getTime() - FIRST_PULL_LOOKBACK_MS),
      resumeUrl: row?.resume_url ?? null,
      resumeStartedAt: row?.resume_started_at ?? null,
    };
  }

  /**
   * Up lists transactions by creation time, so a hold that settles (or is deleted) later is not
   * in any later pull: if its webhook is lost, only fetching it again tells. Holds not looked at
   * for an hour go back to the worker for a fetch (a bounded batch a run); one still HELD changes
   * nothing and emits nothing, one settled is updated and matched, one gone (404) fails visibly.
   */
  private async recheckHolds(runId: string, bankId: string): Promise<void> {
    const requeued = (
      await returning(
        this.dataSource,
        `UPDATE transactions
            SET needs_fetch = true, status = 'PENDING', attempts = 0, next_attempt_at = now(),
                updated_at = now()
          WHERE id IN (SELECT id FROM transactions
                        WHERE bank_id = $1 AND bank_status = 'HELD' AND status = 'PROCESSED'
                          AND NOT void_requested AND updated_at < now() - interval '1 hour'
                        ORDER BY updated_at LIMIT $2)
          RETURNING id`,
        [bankId, HOLD_RECHECK_BATCH],
      )
    ).length;
    // The worker finds them when it next polls (within a second).
    if (requeued > 0) {
      this.logger.log(`run ${runId}: bank ${bankId}: ${requeued} holds queued to be fetched again`);
    }
  }

  private async clearResume(bankId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE bank_pull_cursors SET resume_url = NULL, resume_started_at = NULL WHERE bank_id = $1`,
      [bankId],
    );
  }

  /** The chain's position after a committed page. */
  private async saveResume(bankId: string, url: string, chainStartedAt: Date): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO bank_pull_cursors (bank_id, since, resume_url, resume_started_at, updated_at)
       VALUES ($1, now() - make_interval(secs => $4::double precision / 1000), $2, $3, now())
       ON CONFLICT (bank_id) DO UPDATE
          SET resume_url = $2, resume_started_at = $3, updated_at = now()`,
      [bankId, url, chainStartedAt, FIRST_PULL_LOOKBACK_MS],
    );
  }

  /**
   * After a finished chain: the cursor moves to when the chain began, and no resume is left.
   * Otherwise (`since` null): the error is recorded, and cursor and resume point stay.
   */
  private async saveCursor(
    bankId: string,
    since: Date | null,
    error: string | null,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO bank_pull_cursors (bank_id, since, last_success_at, last_error, updated_at)
       VALUES ($1, COALESCE($2, now() - make_interval(secs => $4::double precision / 1000)),
               CASE WHEN $2 IS NULL THEN NULL ELSE now() END, $3, now())
       ON CONFLICT (bank_id) DO UPDATE
          SET since = COALESCE($2, bank_pull_cursors.since),
              last_success_at = CASE WHEN $2 IS NULL THEN bank_pull_cursors.last_success_at ELSE now() END,
              resume_url = CASE WHEN $2 IS NULL THEN bank_pull_cursors.resume_url END,
              resume_started_at = CASE WHEN $2 IS NULL THEN bank_pull_cursors.resume_started_at END,
              last_error = $3, updated_at = now()`,
      [bankId, since, error, FIRST_PULL_LOOKBACK_MS],
    );
  }
}

/** Aborts at the end of the bank's time budget, or when `stop` aborts. */
function budget(ms: number, stop: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return stop ? AbortSignal.any([timeout, stop]) : timeout;
}

function toItem(bankId: string, p: PulledTransaction): IntakeItem {
  const body = Buffer.from(JSON.stringify(p.raw), 'utf8');
  const sha = createHash('sha256').update(body).digest();
  return {
    bankId,
    // One event per distinct version of a pulled transaction: identical re-pulls dedupe, and an
    // Up transaction pulled HELD then SETTLED is two events.
    eventId: `pull:${p.externalId}:${sha.subarray(0, 8).toString('hex')}`,
    eventType: 'pull',
    body,
    headers: {},
    tx: p.tx,
    source: 'pull',
    bankStatus: p.bankStatus,
    rawText: p.rawText,
    status: 'PROCESSED',
  };
}
