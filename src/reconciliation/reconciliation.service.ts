import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { exportFileName, streamExport } from '../common/export';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { notFound } from '../common/problem';
import { Wakeups } from '../database/wakeups';
import type { TransactionMatcher } from '../transactions/transaction-matcher';
import { decodeUuidCursor, keysetPage, type Page } from '../common/pagination';
import { MatchEngine, SYSTEM_ACTOR } from './match-engine';
import type { Actor } from './match-ledger';
import {
  type ExceptionRow,
  MATCH_SELECT,
  type MatchRow,
  toExceptionDto,
  toMatchDto,
  toRunDto,
} from './reconciliation.mappers';
import type {
  CreateMatchDto,
  ExceptionDto,
  ExceptionQuery,
  MatchDto,
  RunDto,
} from './reconciliation.dto';
import { ReconciliationRunEntity } from './reconciliation-run.entity';
import {
  exceptionsExportSql,
  type ExceptionExportQuery,
  matchesExportSql,
  type MatchExportQuery,
} from './reconciliation.exports';

/** Matching for background processing and staff, and the reads of reconciliation. */
@Injectable()
export class ReconciliationService implements TransactionMatcher {
  private readonly engine: MatchEngine;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    wakeups: Wakeups,
  ) {
    this.engine = new MatchEngine(dataSource, () => {
      wakeups.outbox.notify();
      wakeups.suggestions.notify();
    });
  }

  async matchTransactions(transactionIds: string[]): Promise<void> {
    await this.engine.matchTransactions(transactionIds);
  }

  async reverseAllocations(transactionId: string, reason: string): Promise<void> {
    await this.engine.reverseAllocations(transactionId, reason, SYSTEM_ACTOR);
  }

  async createMatch(body: CreateMatchDto, staff: StaffPrincipal): Promise<MatchDto> {
    const id = await this.engine.manualMatch(
      {
        transactionId: body.transaction_id,
        invoiceId: body.invoice_id,
        amount: body.amount,
        note: body.note,
      },
      actor(staff),
    );
    return this.getMatch(id);
  }

  async reverseMatch(id: string, reason: string, staff: StaffPrincipal): Promise<MatchDto> {
    await this.engine.reverseMatch(id, reason, actor(staff));
    return this.getMatch(id);
  }

  async getMatch(id: string): Promise<MatchDto> {
    const [row] = await this.dataSource.query<MatchRow[]>(`${MATCH_SELECT} WHERE m.id = $1`, [id]);
    if (!row) throw notFound('Allocation', id);
    return toMatchDto(row);
  }

  async getRun(id: string): Promise<RunDto> {
    const run = await this.dataSource.getRepository(ReconciliationRunEntity).findOneBy({ id });
    if (!run) throw notFound('Reconciliation run', id);
    return toRunDto(run);
  }

  /** Newest first. */
  async listRuns(limit: number, cursor?: string): Promise<Page<RunDto>> {
    const after = decodeUuidCursor(cursor);
    const qb = this.dataSource
      .getRepository(ReconciliationRunEntity)
      .createQueryBuilder('r')
      .orderBy('r.started_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(limit + 1);
    if (after) qb.where('(r.started_at, r.id) < (:at, :id)', { at: after.at, id: after.id });
    const rows = await qb.getMany();
    return keysetPage(rows, limit, toRunDto, (r) => ({ at: r.startedAt, id: r.id }));
  }

  async listRunMatches(runId: string, limit: number, cursor?: string): Promise<Page<MatchDto>> {
    await this.getRun(runId);
    const after = decodeUuidCursor(cursor);
    const rows = await this.dataSource.query<MatchRow[]>(
      `${MATCH_SELECT} WHERE m.run_id = $1 AND ($2::timestamptz IS NULL OR (m.created_at, m.id) > ($2, $3::uuid))
        ORDER BY m.created_at, m.id LIMIT $4`,
      [runId, after?.at ?? null, after?.id ?? null, limit + 1],
    );
    return keysetPage(rows, limit, toMatchDto, (r) => ({ at: r.created_at, id: r.id }));
  }

  /** Oldest exception first; one row (one reason) per transaction. */
  async listExceptions(query: ExceptionQuery): Promise<Page<ExceptionDto>> {
    const after = decodeUuidCursor(query.cursor);
    const rows = await this.dataSource.query<ExceptionRow[]>(
      `SELECT e.transaction_id, e.reason, e.created_at, t.external_id, t.bank_id, t.amount,
              t.unallocated_amount, t.currency, t.reference, t.description, t.occurred_at
         FROM transaction_exceptions e JOIN transactions t ON t.id = e.transaction_id
        WHERE ($1::text IS NULL OR e.reason = $1)
          AND ($2::text IS NULL OR t.bank_id = $2)
          AND ($3::timestamptz IS NULL OR (e.created_at, e.transaction_id) > ($3, $4::uuid))
        ORDER BY e.created_at, e.transaction_id LIMIT $5`,
      [
        query.reason ?? null,
        query.bank ?? null,
        after?.at ?? null,
        after?.id ?? null,
        query.limit + 1,
      ],
    );
    return keysetPage(rows, query.limit, toExceptionDto, (r) => ({
      at: r.created_at,
      id: r.transaction_id,
    }));
  }

  exportMatches(query: MatchExportQuery, res: Response): Promise<void> {
    return streamExport(this.dataSource, res, {
      sql: matchesExportSql(query),
      format: query.format,
      fileName: exportFileName('matches', query.format),
    });
  }

  exportExceptions(query: ExceptionExportQuery, res: Response): Promise<void> {
    return streamExport(this.dataSource, res, {
      sql: exceptionsExportSql(query),
      format: query.format,
      fileName: exportFileName('exceptions', query.format),
    });
  }
}

function actor(staff: StaffPrincipal): Actor {
  return { name: staff.name, keyId: staff.keyId };
}
