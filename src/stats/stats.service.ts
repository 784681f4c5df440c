import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { formatAmount } from '../common/money';
import { ReconciliationRunEntity } from '../reconciliation/reconciliation-run.entity';
import { toRunDto } from '../reconciliation/reconciliation.mappers';
import type { StatsDto } from './stats.dto';

/** Sums are NUMERIC in SQL, grouped by currency, and formatted to the currency's decimals. */
@Injectable()
export class StatsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async stats(): Promise<StatsDto> {
    const [transactions, invoices, exceptions, lastRun] = await Promise.all([
      this.dataSource.query<
        Array<{
          status: string;
          match_status: string;
          currency: string | null;
          count: string;
          amount: string | null;
          unallocated_amount: string | null;
        }>
      >(
        `SELECT status, match_status, currency, count(*) AS count, sum(amount) AS amount,
                sum(unallocated_amount) AS unallocated_amount
           FROM transactions GROUP BY status, match_status, currency
          ORDER BY status, match_status, currency`,
      ),
      this.dataSource.query<
        Array<{
          status: string;
          currency: string;
          count: string;
          amount_due: string;
          amount_paid: string;
          amount_outstanding: string;
        }>
      >(
        `SELECT status, currency, count(*) AS count, sum(amount_due) AS amount_due,
                sum(amount_paid) AS amount_paid,
                sum(CASE WHEN status = 'cancelled' THEN 0
                         ELSE amount_due - amount_paid - amount_written_off END)
                  AS amount_outstanding
           FROM invoices GROUP BY status, currency ORDER BY status, currency`,
      ),
      this.dataSource.query<Array<{ reason: string; count: string }>>(
        `SELECT reason, count(*) AS count FROM transaction_exceptions GROUP BY reason ORDER BY reason`,
      ),
      this.dataSource
        .getRepository(ReconciliationRunEntity)
        .createQueryBuilder('r')
        .orderBy('r.started_at', 'DESC')
        .addOrderBy('r.id', 'DESC')
        .getOne(),
    ]);
    const money = (value: string | null, currency: string | null): string | null =>
      value === null || currency === null ? value : formatAmount(value, currency);
    return {
      transactions: transactions.map((t) => ({
        status: t.status,
        match_status: t.match_status,
        currency: t.currency,
        count: Number(t.count),
        amount: money(t.amount, t.currency),
        unallocated_amount: money(t.unallocated_amount, t.currency),
      })),
      invoices: invoices.map((i) => ({
        status: i.status,
        currency: i.currency,
        count: Number(i.count),
        amount_due: formatAmount(i.amount_due, i.currency),
        amount_paid: formatAmount(i.amount_paid, i.currency),
        amount_outstanding: formatAmount(i.amount_outstanding, i.currency),
      })),
      exceptions: exceptions.map((e) => ({ reason: e.reason, count: Number(e.count) })),
      last_run: lastRun ? toRunDto(lastRun) : null,
    };
  }
}
