import { storableMessage } from '../common/storable-text';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BanksService } from '../banks/banks.service';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { pullTransactions, type PulledTransaction } from '../banks/pull/pull-client';
import { IntakeService, type IntakeItem } from '../webhooks/intake.service';
import type { RunBankResult } from './reconciliation-run.entity';
import type { RunPullStep } from './run-pull-step';

/** Late-posted transactions can carry a time before the last pull; re-read this much. */
export const PULL_OVERLAP_MS = 15 * 60_000;
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

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly banks: BanksService,
    private readonly intake: IntakeService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async pull(runId: string): Promise<RunBankResult[]> {
    const ids = await this.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM banks WHERE api_kind IS NOT NULL ORDER BY id`,
    );
    const results: RunBankResult[] = [];
    for (const { id } of ids) results.push(await this.pullBank(runId, id));
    return results;
  }

  private async pullBank(runId: string, bankId: string): Promise<RunBankResult> {
    const startedAt = new Date();
    let pulled = 0;
    let pages = 0;
    try {
      const bank = await this.banks.resolve(bankId);
      if (!bank?.api) return { bank_id: bankId, pulled_count: 0, error: 'no API configured' };
      const since = await this.since(bankId, startedAt);
      const options = {
        since,
        timeoutMs: this.config.pull.timeoutMs,
        retries: this.config.pull.retries,
      };
      for await (const page of pullTransactions(bank.api, options)) {
        pages++;
        // Each page is committed (awaited) before the next one is requested.
        const outcomes = await Promise.all(
          page.items.map((p) => this.intake.submit(toItem(bankId, p))),
        );
        pulled += outcomes.filter((o) => o.transactionWritten).length;
        for (const bad of page.invalid) {
          this.logger.warn(
            `run ${runId}: bank ${bankId} sent an unusable transaction ${bad.externalId ?? '?'}: ${bad.reason}`,
          );
        }
        if (pages % 10 === 0) {
          this.logger.log(
            `run ${runId}: bank ${bankId}: ${pages} pages, ${pulled} new transactions`,
          );
        }
      }
      await this.saveCursor(bankId, startedAt, null);
      this.logger.log(
        `run ${runId}: bank ${bankId}: pulled ${pulled} new transactions in ${pages} pages`,
      );
      return { bank_id: bankId, pulled_count: pulled, error: null };
    } catch (err) {
      const message = storableMessage(err instanceof Error ? err.message : String(err));
      this.logger.warn(`run ${runId}: bank ${bankId} pull failed after ${pages} pages: ${message}`);
      await this.saveCursor(bankId, null, message).catch(() => undefined);
      return { bank_id: bankId, pulled_count: pulled, error: message };
    }
  }

  private async since(bankId: string, now: Date): Promise<Date> {
    const [row] = await this.dataSource.query<Array<{ since: Date }>>(
      `SELECT since FROM bank_pull_cursors WHERE bank_id = $1`,
      [bankId],
    );
    return row
      ? new Date(row.since.getTime() - PULL_OVERLAP_MS)
      : new Date(now.getTime() - FIRST_PULL_LOOKBACK_MS);
  }

  /** Advances the cursor (after a complete pull) or records the error, keeping the cursor. */
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
              last_error = $3, updated_at = now()`,
      [bankId, since, error, FIRST_PULL_LOOKBACK_MS],
    );
  }
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
