import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DataSource, type QueryRunner } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { BanksService } from '../banks/banks.service';
import { formatAmount } from '../common/money';
import { decodeUuidCursor, isUuid, keysetPage, type Page } from '../common/pagination';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { LoadGauge } from '../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { IntakeService } from '../intake/intake.service';
import { StatementStage } from '../intake/statement-stage';
import type { CsvMapping } from './parsers/csv';
import {
  StatementFileError,
  type ParsedEntry,
  type StatementFormat,
  type StatementTotals,
} from './parsers/statement-events';
import { readStatementFile } from './parsers/statement-file';
import type {
  CsvMappingDto,
  StatementDetailDto,
  StatementEntryDto,
  StatementListItemDto,
  StatementSummaryDto,
  StatementUploadDto,
} from './statements.dto';
import { UploadPace } from './upload-pace';
import { uploadSource } from './upload-source';
import { StatementsCoverage } from './statements-coverage';
import { validateMapping } from './csv-mapping';

const STATEMENTS_SQL = `
INSERT INTO statements (id, file_id, bank_id, seq, account, currency, period_start, period_end,
                        opening_balance, closing_balance)
SELECT i.id, $1, $2, i.seq, i.account, i.currency, i.period_start, i.period_end,
       i.opening_balance, i.closing_balance
  FROM json_to_recordset($3::json) AS i(id uuid, seq int, account text, currency text,
       period_start date, period_end date, opening_balance numeric, closing_balance numeric)`;

const SUMMARY_SQL = `
UPDATE statements s
   SET entries_count = a.n, new_count = a.fresh, known_count = a.known,
       account = coalesce(s.account, a.account), currency = coalesce(s.currency, a.currency),
       period_start = coalesce(s.period_start, a.first_day),
       period_end = coalesce(s.period_end, a.last_day),
       balance_check = CASE WHEN s.opening_balance IS NULL OR s.closing_balance IS NULL THEN NULL
                            WHEN s.opening_balance + a.net = s.closing_balance THEN 'ok'
                            ELSE 'mismatch' END
  FROM (SELECT st.id, count(e.id)::int AS n,
               (count(*) FILTER (WHERE e.outcome = 'new'))::int AS fresh,
               (count(*) FILTER (WHERE e.outcome = 'known'))::int AS known,
               coalesce(sum(CASE e.direction WHEN 'credit' THEN e.amount ELSE -e.amount END), 0) AS net,
               min(e.account) AS account, min(e.currency) AS currency,
               min(e.booking_date) AS first_day, max(e.booking_date) AS last_day
          FROM statements st LEFT JOIN statement_entries e ON e.statement_id = st.id
         WHERE st.file_id = $1 GROUP BY st.id) a
 WHERE s.id = a.id`;

// The account's previous statement (its period ends where this one starts, or before) closes
// on another balance than this one opens with: entries are missing between the two.
const GAP_SQL = `
UPDATE statements s SET gap_expected_opening = p.closing_balance, gap_previous_statement_id = p.id
  FROM statements cur
  CROSS JOIN LATERAL (
    SELECT prev.id, prev.closing_balance FROM statements prev
     WHERE prev.bank_id = cur.bank_id AND prev.account = cur.account
       AND prev.currency = cur.currency AND prev.id <> cur.id
       AND prev.closing_balance IS NOT NULL AND prev.period_end <= cur.period_start
       AND (prev.period_start < cur.period_start OR prev.period_end < cur.period_end)
     ORDER BY prev.period_end DESC, prev.created_at DESC, prev.seq DESC LIMIT 1) p
 WHERE s.id = cur.id AND cur.file_id = $1 AND cur.opening_balance IS NOT NULL
   AND p.closing_balance <> cur.opening_balance`;

interface StatementRow {
  id: string;
  file_id: string;
  bank_id: string;
  format: StatementFormat;
  account: string | null;
  currency: string | null;
  period_start: string | null;
  period_end: string | null;
  opening_balance: string | null;
  closing_balance: string | null;
  entries_count: number;
  new_count: number;
  known_count: number;
  balance_check: 'ok' | 'mismatch' | null;
  gap_expected_opening: string | null;
  gap_previous_statement_id: string | null;
  created_at: Date;
}

const STATEMENT_SELECT = `
SELECT s.id, s.file_id, s.bank_id, f.format, s.account, s.currency,
       to_char(s.period_start, 'YYYY-MM-DD') AS period_start,
       to_char(s.period_end, 'YYYY-MM-DD') AS period_end,
       s.opening_balance, s.closing_balance, s.entries_count, s.new_count, s.known_count,
       s.balance_check, s.gap_expected_opening, s.gap_previous_statement_id, s.created_at
  FROM statements s JOIN statement_files f ON f.id = s.file_id`;

const money = (v: string | null, ccy: string | null): string | null =>
  v === null ? null : ccy ? formatAmount(v, ccy) : v;

function summary(r: StatementRow): StatementSummaryDto {
  return {
    id: r.id,
    account: r.account,
    currency: r.currency,
    period_start: r.period_start,
    period_end: r.period_end,
    opening_balance: money(r.opening_balance, r.currency),
    closing_balance: money(r.closing_balance, r.currency),
    entries_count: r.entries_count,
    new_count: r.new_count,
    known_count: r.known_count,
    balance_check: r.balance_check,
    gap_before: r.gap_previous_statement_id
      ? {
          expected_opening: money(r.gap_expected_opening, r.currency) as string,
          previous_statement_id: r.gap_previous_statement_id,
        }
      : null,
  };
}

function listItem(r: StatementRow): StatementListItemDto {
  return {
    ...summary(r),
    file_id: r.file_id,
    bank_id: r.bank_id,
    format: r.format,
    created_at: r.created_at.toISOString(),
  };
}

/** The n-th identical entry of an account and day is its own fingerprint (two equal card payments). */
class Fingerprints {
  private readonly seen = new Map<string, number>();

  externalId(e: ParsedEntry, account: string | null): string {
    if (e.bankRef) return e.bankRef;
    const key = [
      account ?? '',
      e.bookingDate,
      e.amount,
      e.currency,
      e.direction,
      e.reference ?? '',
    ].join('\u0000');
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    return `fp:${createHash('sha256').update(`${key}\u0000${n}`).digest('hex').slice(0, 32)}`;
  }
}

@Injectable()
export class StatementsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly banks: BanksService,
    private readonly intake: IntakeService,
    private readonly coverage: StatementsCoverage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly gauge: LoadGauge,
  ) {}

  /**
   * Saves the bank's CSV mapping, audited with the one it replaced: a mapping decides which
   * column is the amount and which sign is money in, so changing it changes money.
   */
  async putMapping(
    bankId: string,
    body: CsvMappingDto,
    staff: StaffPrincipal,
  ): Promise<CsvMappingDto> {
    await this.banks.get(bankId);
    const mapping = validateMapping(body);
    await this.dataSource.transaction(async (m) => {
      const [old] = await m.query<Array<{ mapping: CsvMapping }>>(
        `SELECT mapping FROM bank_csv_mappings WHERE bank_id = $1 FOR UPDATE`,
        [bankId],
      );
      await m.query(
        `INSERT INTO bank_csv_mappings (bank_id, mapping) VALUES ($1, $2)
         ON CONFLICT (bank_id) DO UPDATE SET mapping = EXCLUDED.mapping, updated_at = now()`,
        [bankId, JSON.stringify(mapping)],
      );
      await appendAudit(m, [
        {
          actor: { name: staff.name, keyId: staff.keyId },
          action: 'bank.csv_mapping_saved',
          entity: 'bank',
          entityId: bankId,
          data: { mapping, previous: old?.mapping ?? null },
        },
      ]);
    });
    return mapping as CsvMappingDto;
  }

  /**
   * Reads the file as it arrives and stages its entries in one transaction: a file that cannot
   * be read is rolled back whole (nothing of it stored). The same bytes again answer what was
   * stored for them (`created: false`).
   */
  async upload(
    bankId: string,
    req: Readable & { headers: Record<string, unknown> },
    asked: StatementFormat | null,
    actor: string,
  ): Promise<{ created: boolean; answer: StatementUploadDto }> {
    await this.banks.get(bankId);
    const [mappingRow] = await this.dataSource.query<Array<{ mapping: CsvMapping }>>(
      `SELECT mapping FROM bank_csv_mappings WHERE bank_id = $1`,
      [bankId],
    );
    const source = await uploadSource(req, this.config.statementMaxBytes);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let committed = false;
    try {
      await runner.startTransaction();
      // A big file's set-based statements run longer than a request's usual 30 s bound
      // (STATEMENT_INTAKE_SQL over 200 000 entries): this transaction only.
      await runner.query(`SET LOCAL statement_timeout = '15min'`);
      // One upload per bank at a time (a transaction-scoped advisory lock): two overlapping
      // files of one bank read each other's entries as stored, never claim one payment twice.
      await runner.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `bank-sync:statements:${bankId}`,
      ]);
      const fileId = randomUUID();
      await runner.query(
        `INSERT INTO statement_files (id, bank_id, format, byte_size, created_by) VALUES ($1, $2, 'csv', 0, $3)`,
        [fileId, bankId, actor],
      );
      const pace = new UploadPace(this.gauge, this.config.backgroundMaxDeferMs);
      const { format, entries } = await this.stage(
        pace,
        runner,
        bankId,
        fileId,
        source.chunks,
        asked,
        mappingRow?.mapping ?? null,
      );
      const sha = source.sha256();
      const stored = await this.storedAnswer(runner, bankId, sha);
      if (stored) {
        await runner.rollbackTransaction();
        return { created: false, answer: stored };
      }
      try {
        await runner.query(`SAVEPOINT sha`);
        await runner.query(
          `UPDATE statement_files SET file_sha256 = $2, format = $3, byte_size = $4 WHERE id = $1`,
          [fileId, sha, format, source.bytes],
        );
      } catch (err) {
        // The same file committed meanwhile by a concurrent upload: answer what it stored.
        if ((err as { code?: string }).code !== '23505') throw err;
        await runner.rollbackTransaction();
        const answer = await this.storedAnswer(this.dataSource, bankId, sha);
        if (!answer)
          throw new ProblemException(
            503,
            'statement-retry',
            'The file is being stored by another upload; retry',
          );
        return { created: false, answer };
      }
      await this.intake.storeStatementEntries(
        runner.manager,
        bankId,
        fileId,
        entries,
        this.config.statementChunkEntries,
        () => pace.rest(),
      );
      await runner.query(SUMMARY_SQL, [fileId]);
      await runner.query(GAP_SQL, [fileId]);
      const countMissed = await this.coverage.announceMissed(runner, bankId, fileId);
      const rows = await runner.manager.query<StatementRow[]>(
        `${STATEMENT_SELECT} WHERE s.file_id = $1 ORDER BY s.seq`,
        [fileId],
      );
      const answer: StatementUploadDto = {
        id: fileId,
        bank_id: bankId,
        format,
        file_sha256: sha.toString('hex'),
        statements: rows.map(summary),
      };
      await runner.query(`UPDATE statement_files SET answer = $2 WHERE id = $1`, [
        fileId,
        JSON.stringify(answer),
      ]);
      await runner.commitTransaction();
      committed = true;
      this.intake.wakeWorker();
      countMissed();
      return { created: true, answer };
    } catch (err) {
      if (runner.isTransactionActive && !committed) await runner.rollbackTransaction();
      if (err instanceof StatementFileError) {
        throw validationProblem(
          [{ field: err.at, message: err.message }],
          `The statement file cannot be read: ${err.at}: ${err.message}`,
        );
      }
      throw err;
    } finally {
      await runner.release();
      // Whatever was not read (a refused file) is drained so the connection can answer.
      if (!req.readableEnded) req.resume();
    }
  }

  /**
   * Reads the file and stages its entries (COPY into the transaction's `statement_stage`) as it
   * arrives; its statements are written once the file is read (the COPY holds the connection).
   */
  private async stage(
    pace: UploadPace,
    runner: QueryRunner,
    bankId: string,
    fileId: string,
    chunks: AsyncIterable<Buffer>,
    asked: StatementFormat | null,
    mapping: CsvMapping | null,
  ): Promise<{ format: StatementFormat; entries: number }> {
    const file = await readStatementFile(chunks, asked, mapping);
    const fingerprints = new Fingerprints();
    const statements: Array<{ id: string; totals: StatementTotals | null }> = [];
    let current: { id: string; totals: StatementTotals | null } | null = null;
    let seq = 0;
    const stage = await StatementStage.open(runner);
    try {
      for await (const event of file.events) {
        if (event.kind === 'begin') {
          current = { id: randomUUID(), totals: null };
          statements.push(current);
          seq = 0;
        } else if (event.kind === 'entry') {
          const e = event.entry;
          if (!current) throw new StatementFileError(e.at, 'an entry outside a statement');
          // The parsed entry's fields as they are; where it stands in the file is its location.
          const full = stage.add({
            ...e,
            statementId: current.id,
            seq: ++seq,
            location: e.at,
            externalId: fingerprints.externalId(e, e.account),
          });
          if (full) await stage.drain();
          if (pace.due()) await pace.rest();
        } else if (current) {
          current.totals = event.totals;
          current = null;
        }
      }
      await stage.finish();
    } catch (err) {
      await stage.abort(err as Error);
      throw err;
    }
    if (statements.length === 0) {
      throw new StatementFileError('file', 'the file holds no statement');
    }
    await runner.query(STATEMENTS_SQL, [
      fileId,
      bankId,
      JSON.stringify(
        statements.map((s, i) => ({
          id: s.id,
          seq: i + 1,
          account: s.totals?.account ?? null,
          currency: s.totals?.currency ?? null,
          period_start: s.totals?.periodStart ?? null,
          period_end: s.totals?.periodEnd ?? null,
          opening_balance: s.totals?.openingBalance ?? null,
          closing_balance: s.totals?.closingBalance ?? null,
        })),
      ),
    ]);
    return { format: file.format, entries: stage.count };
  }

  private async storedAnswer(
    db: { query: DataSource['query'] },
    bankId: string,
    sha: Buffer,
  ): Promise<StatementUploadDto | null> {
    const rows = await db.query<Array<{ answer: StatementUploadDto | null }>>(
      `SELECT answer FROM statement_files WHERE bank_id = $1 AND file_sha256 = $2`,
      [bankId, sha],
    );
    return rows[0]?.answer ?? null;
  }

  async list(bankId: string, limit: number, cursor?: string): Promise<Page<StatementListItemDto>> {
    await this.banks.get(bankId);
    const after = decodeUuidCursor(cursor);
    const rows = await this.dataSource.query<StatementRow[]>(
      `${STATEMENT_SELECT} WHERE s.bank_id = $1 AND f.file_sha256 IS NOT NULL
         ${after ? 'AND (s.created_at, s.id) < ($3, $4::uuid)' : ''}
       ORDER BY s.created_at DESC, s.id DESC LIMIT $2`,
      after ? [bankId, limit + 1, new Date(after.at), after.id] : [bankId, limit + 1],
    );
    return keysetPage(rows, limit, listItem, (r) => ({ at: r.created_at, id: r.id }));
  }

  async get(id: string, limit: number, cursor?: string): Promise<StatementDetailDto> {
    const [row] = isUuid(id)
      ? await this.dataSource.query<StatementRow[]>(`${STATEMENT_SELECT} WHERE s.id = $1`, [id])
      : [];
    if (!row) throw notFound('statement', id);
    const after = cursor ? Number(cursor.split('.')[0]) : 0;
    const entries = await this.dataSource.query<Array<StatementEntryDto & { amount: string }>>(
      `SELECT seq, location, account, to_char(booking_date, 'YYYY-MM-DD') AS booking_date, amount,
              currency, direction, reversal, bank_ref, reference, description, counterparty,
              counterparty_account, outcome, transaction_id
         FROM statement_entries WHERE statement_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [id, after, limit + 1],
    );
    const page = entries.slice(0, limit);
    return {
      ...listItem(row),
      entries: page.map((e) => ({ ...e, amount: formatAmount(e.amount, e.currency) })),
      next_cursor: entries.length > limit ? `${page[page.length - 1].seq}.0` : null,
    };
  }
}
