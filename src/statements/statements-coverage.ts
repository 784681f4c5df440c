import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { BanksService } from '../banks/banks.service';
import { validationProblem } from '../common/problem';
import { MetricsService } from '../metrics/metrics.service';
import type { CoverageDayDto } from './coverage.dto';

const MAX_DAYS = 366;

// Per day of the range: the bank's statement entries (each transaction once, however many
// overlapping statements hold it), what webhooks and the pull brought, what only a statement
// has (the missed webhooks), and, on days a statement covers, what no statement holds.
const COVERAGE_SQL = `
WITH days AS (
  SELECT d::date AS day FROM generate_series($2::date, $3::date, interval '1 day') AS d
), entries AS (
  SELECT booking_date AS day, count(DISTINCT coalesce(transaction_id::text, id::text))::int AS n
    FROM statement_entries
   WHERE bank_id = $1 AND booking_date BETWEEN $2 AND $3 GROUP BY booking_date
), tx AS (
  SELECT (t.occurred_at AT TIME ZONE 'UTC')::date AS day,
         (count(*) FILTER (WHERE t.source = 'webhook'))::int AS webhook,
         (count(*) FILTER (WHERE t.source = 'pull'))::int AS pull,
         (count(*) FILTER (WHERE t.source = 'statement'))::int AS only_statement,
         (count(*) FILTER (WHERE t.source <> 'statement' AND NOT EXISTS (
             SELECT 1 FROM statement_entries se WHERE se.transaction_id = t.id)
           AND EXISTS (
             SELECT 1 FROM statements s
              WHERE s.bank_id = t.bank_id
                AND (t.occurred_at AT TIME ZONE 'UTC')::date BETWEEN s.period_start AND s.period_end)
         ))::int AS not_in_statement
    FROM transactions t
   WHERE t.bank_id = $1
     AND t.occurred_at >= $2::date::timestamp AT TIME ZONE 'UTC'
     AND t.occurred_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC'
   GROUP BY 1
)
SELECT to_char(days.day, 'YYYY-MM-DD') AS date, coalesce(entries.n, 0) AS statement_entries,
       coalesce(tx.webhook, 0) AS received_by_webhook, coalesce(tx.pull, 0) AS found_by_pull,
       coalesce(tx.only_statement, 0) AS only_in_statement,
       coalesce(tx.not_in_statement, 0) AS not_in_statement
  FROM days LEFT JOIN entries ON entries.day = days.day LEFT JOIN tx ON tx.day = days.day
 ORDER BY days.day`;

/**
 * The three-way check: statement entries against what webhooks and the pull brought. An entry
 * only a statement has is a missed webhook: counted (`bank_sync_missed_webhooks_total{bank}`)
 * and announced (`bank.webhooks_missed`, through the outbox, in the upload's transaction).
 */
@Injectable()
export class StatementsCoverage {
  private readonly missed;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly banks: BanksService,
    metrics: MetricsService,
  ) {
    this.missed = metrics.counter(
      'bank_sync_missed_webhooks_total',
      'Statement entries that no webhook (nor the pull) had brought, by bank',
      ['bank'],
      // The built-in bank's series exists from the start; another bank's from its first upload.
      [{ bank: 'default' }],
    );
  }

  /** Announces the upload's missed webhooks by day; counts them once the upload commits. */
  async announceMissed(runner: QueryRunner, bankId: string, fileId: string): Promise<() => void> {
    const rows = await runner.manager.query<Array<{ day: string; n: number }>>(
      `SELECT to_char(e.booking_date, 'YYYY-MM-DD') AS day, count(*)::int AS n
         FROM statement_entries e JOIN statements s ON s.id = e.statement_id
        WHERE s.file_id = $1 AND e.outcome = 'new' GROUP BY 1 ORDER BY 1`,
      [fileId],
    );
    const total = rows.reduce((a, r) => a + r.n, 0);
    // Counted even when 0: the bank's series then exists before its first missed webhook.
    const count = () => this.missed.inc({ bank: bankId }, total);
    if (total === 0) return count;
    await runner.query(
      // The aggregate is the bank (Debezium's outbox router keys its messages by it).
      `INSERT INTO outbox_events (id, type, payload, aggregatetype, aggregateid)
       VALUES (gen_random_uuid(), 'bank.webhooks_missed', $1::jsonb, 'bank', $2)`,
      [
        JSON.stringify({
          bank_id: bankId,
          statement_file_id: fileId,
          count: total,
          days: rows.map((r) => ({ date: r.day, count: r.n })),
        }),
        bankId,
      ],
    );
    return count;
  }

  async coverage(bankId: string, from: string, to: string): Promise<{ data: CoverageDayDto[] }> {
    await this.banks.get(bankId);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (!(days >= 0))
      throw validationProblem([{ field: 'to', message: 'must not be before from' }]);
    if (days >= MAX_DAYS) {
      throw validationProblem([{ field: 'to', message: `at most ${MAX_DAYS} days from from` }]);
    }
    const data = await this.dataSource.query<CoverageDayDto[]>(COVERAGE_SQL, [bankId, from, to]);
    return { data };
  }
}
