import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeUuidCursor, isUuid, keysetPage, type Page } from '../common/pagination';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { storableInstant } from '../common/timestamps';
import { TransactionEntity } from './transaction.entity';
import { toTransactionDto, type TransactionDto, type TransactionQuery } from './transactions.dto';
import { Wakeups } from '../database/wakeups';

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
    if (q.from) qb.andWhere('t.occurred_at >= :from', { from: instant('from', q.from) });
    if (q.to) qb.andWhere('t.occurred_at < :to', { to: instant('to', q.to) });
    const after = decodeUuidCursor(q.cursor);
    if (after) {
      qb.andWhere('(t.created_at, t.id) < (:at, :id)', { at: new Date(after.at), id: after.id });
    }
    return keysetPage(await qb.getMany(), q.limit, toTransactionDto, (t) => ({
      at: t.createdAt,
      id: t.id,
    }));
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

/**
 * A from/to filter as a Date. `IsISO8601` takes forms `new Date` cannot read (`2026-01-01T10`,
 * week dates), which would reach PostgreSQL as an invalid date and answer 500.
 */
function instant(field: string, value: string): Date {
  const at = new Date(value);
  if (!storableInstant(at)) {
    throw validationProblem([
      {
        field,
        message: `${field} must be an ISO 8601 date or date-time, e.g. 2026-02-27T12:00:00Z`,
      },
    ]);
  }
  return at;
}
