import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeUuidCursor, isUuid, keysetPage, type Page } from '../common/pagination';
import { notFound, ProblemException } from '../common/problem';
import { queryInstant } from '../common/timestamps';
import { TransactionEntity } from './transaction.entity';
import {
  toTransactionDto,
  type BulkRetryDto,
  type BulkRetryResultDto,
  type TransactionDto,
  type TransactionQuery,
} from './transactions.dto';
import { Wakeups } from '../database/wakeups';
import type { MatchDto } from '../reconciliation/reconciliation.dto';
import { MATCH_SELECT, type MatchRow, toMatchDto } from '../reconciliation/reconciliation.mappers';

/** Ids listed in a bulk retry's answer, like a run's id lists. */
const MAX_IDS = 1000;

@Injectable()
export class TransactionsService {
  constructor(
    @InjectRepository(TransactionEntity) private readonly txs: Repository<TransactionEntity>,
    private readonly wakeups: Wakeups,
  ) {}

  async get(id: string): Promise<TransactionDto> {
    const tx = isUuid(id) ? await this.txs.findOne({ where: { id } }) : null;
    if (!tx) throw notFound('transaction', id);
    return toTransactionDto(tx);
  }

  /** Every allocation of the transaction, reversed ones included (marked), oldest first. */
  async allocations(id: string): Promise<{ data: MatchDto[]; next_cursor: null }> {
    await this.get(id);
    const rows = await this.txs.query<MatchRow[]>(
      `${MATCH_SELECT} WHERE m.transaction_id = $1 ORDER BY m.created_at, m.id`,
      [id],
    );
    return { data: rows.map(toMatchDto), next_cursor: null };
  }

  async list(q: TransactionQuery): Promise<Page<TransactionDto>> {
    const qb = this.txs
      .createQueryBuilder('t')
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .take(q.limit + 1);
    if (q.bank) qb.andWhere('t.bank_id = :bank', { bank: q.bank });
    if (q.external_id) qb.andWhere('t.external_id = :ext', { ext: q.external_id });
    if (q.status) qb.andWhere('t.status = :status', { status: q.status });
    if (q.match_status) qb.andWhere('t.match_status = :ms', { ms: q.match_status });
    if (q.reference) qb.andWhere('t.reference = :ref', { ref: q.reference });
    if (q.from) qb.andWhere('t.occurred_at >= :from', { from: queryInstant('from', q.from) });
    if (q.to) qb.andWhere('t.occurred_at < :to', { to: queryInstant('to', q.to) });
    const after = decodeUuidCursor(q.cursor);
    if (after) {
      qb.andWhere('(t.created_at, t.id) < (:at, :id)', { at: new Date(after.at), id: after.id });
    }
    return keysetPage(await qb.getMany(), q.limit, toTransactionDto, (t) => ({
      at: t.createdAt,
      id: t.id,
    }));
  }

  /**
   * The single retry's rules for every FAILED transaction the filters select, in one statement
   * (`ix_transactions_failed`); a dry run only counts them.
   */
  async retryAll(body: BulkRetryDto): Promise<BulkRetryResultDto> {
    const where = [`status = 'FAILED'`];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (body.bank) where.push(`bank_id = ${param(body.bank)}`);
    if (body.from) where.push(`occurred_at >= ${param(queryInstant('from', body.from))}`);
    if (body.to) where.push(`occurred_at < ${param(queryInstant('to', body.to))}`);
    if (body.dry_run) {
      const [row] = await this.txs.query<Array<{ count: number }>>(
        `SELECT count(*)::int AS count FROM transactions WHERE ${where.join(' AND ')}`,
        params,
      );
      return { count: row.count };
    }
    const [row] = await this.txs.query<Array<{ count: number; ids: string[] | null }>>(
      `WITH done AS (
         UPDATE transactions
            SET status = 'PENDING', attempts = 0, next_attempt_at = now(), updated_at = now()
          WHERE ${where.join(' AND ')}
          RETURNING id)
       SELECT count(*)::int AS count, (array_agg(id::text ORDER BY id))[1:${MAX_IDS}] AS ids
         FROM done`,
      params,
    );
    if (row.count > 0) this.wakeups.transactions.notify();
    return {
      count: row.count,
      transaction_ids: row.ids ?? [],
      ids_truncated: row.count > MAX_IDS,
    };
  }

  /** Puts a FAILED transaction back in the queue with a fresh set of attempts. */
  async retry(id: string): Promise<TransactionDto> {
    if (!isUuid(id)) throw notFound('transaction', id);
    const updated = await this.txs
      .createQueryBuilder()
      .update()
      .set({
        status: 'PENDING',
        attempts: 0,
        nextAttemptAt: () => 'now()',
        updatedAt: () => 'now()',
      })
      .where('id = :id AND status = :failed', { id, failed: 'FAILED' })
      .execute();
    if (!updated.affected) {
      const tx = await this.txs.findOne({ where: { id } });
      if (!tx) throw notFound('transaction', id);
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'not-failed',
        `transaction ${id} is ${tx.status}; only FAILED transactions can be retried`,
      );
    }
    this.wakeups.transactions.notify();
    return this.get(id);
  }
}
