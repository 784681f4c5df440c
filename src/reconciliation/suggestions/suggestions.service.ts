import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { StaffPrincipal } from '../../auth/api-keys.service';
import { formatAmount, parseAmount } from '../../common/money';
import { notFound, ProblemException } from '../../common/problem';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { appendAudit } from '../../audit/audit-log';
import { returning } from '../../database/sql';
import { Wakeups } from '../../database/wakeups';
import { MatchEngine } from '../match-engine';
import type { Actor } from '../match-ledger';
import { autoPick, suggest } from './scorer';
import { loadInputs, movedMeanwhile, writeSuggestions } from './suggestion-store';
import type {
  CreateWriteOffRuleDto,
  SuggestionDto,
  SuggestionListDto,
  WriteOffRuleDto,
} from './suggestions.dto';

/** Exceptions computed per unit of work. */
export const SUGGEST_BATCH = 500;

interface SuggestionRow {
  id: string;
  transaction_id: string;
  kind: string;
  score: string;
  invoices: SuggestionDto['invoices'];
  write_off: { amount: string; reason: string; rule_id: string | null } | null;
  reversal_of: string | null;
  evidence: SuggestionDto['evidence'];
}

interface RuleRow {
  id: string;
  name: string;
  currency: string;
  max_amount: string;
  max_percent: string | null;
  reason: WriteOffRuleDto['reason'];
  created_at: Date;
  created_by: string;
}

/**
 * Suggestions for exceptions: computed in the background when an exception appears or the money
 * it could go to moves (`suggested_at IS NULL`), read fresh, accepted or declined by staff, and
 * applied by the system only under AUTO_MATCH_THRESHOLD and the "no close second" guard.
 */
@Injectable()
export class SuggestionsService {
  private readonly logger = new Logger('Suggestions');
  private readonly engine: MatchEngine;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly wakeups: Wakeups,
  ) {
    this.engine = new MatchEngine(dataSource, () => {
      wakeups.outbox.notify();
      wakeups.suggestions.notify();
    });
  }

  /**
   * Computes the suggestions of up to `SUGGEST_BATCH` exceptions that are due, oldest first,
   * several instances sharing the work (SKIP LOCKED), then applies the automatic ones. Returns
   * how many exceptions it computed.
   */
  async refreshDue(): Promise<number> {
    const picks = await this.dataSource.transaction(async (m) => {
      const due = await m.query<Array<{ transaction_id: string }>>(
        `SELECT transaction_id FROM transaction_exceptions WHERE suggested_at IS NULL
          ORDER BY created_at, transaction_id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [SUGGEST_BATCH],
      );
      if (due.length === 0) return null;
      return this.compute(
        m,
        due.map((r) => r.transaction_id),
      );
    });
    if (picks === null) return 0;
    this.wakeups.outbox.notify();
    await this.applyAutomatic(picks.auto);
    return picks.count;
  }

  /** Current suggestions of a transaction's exception, computed first if they are due. */
  async list(transactionId: string): Promise<SuggestionListDto> {
    await this.dataSource.transaction(async (m) => {
      const [exception] = await m.query<Array<{ suggested_at: Date | null }>>(
        `SELECT suggested_at FROM transaction_exceptions WHERE transaction_id = $1 FOR UPDATE`,
        [transactionId],
      );
      if (!exception) {
        throw new ProblemException(
          HttpStatus.NOT_FOUND,
          'not-found',
          `Transaction ${transactionId} has no exception`,
        );
      }
      // Never show suggestions the money has moved away from: compute them first. The
      // automatic one, if any, is left to the background (a read changes no money).
      if (exception.suggested_at === null) await this.compute(m, [transactionId]);
    });
    const rows = await this.dataSource.query<SuggestionRow[]>(
      `SELECT id, transaction_id, kind, score::text AS score, invoices, write_off, reversal_of,
              evidence
         FROM suggestions WHERE transaction_id = $1 AND superseded_at IS NULL ORDER BY rank`,
      [transactionId],
    );
    return { data: rows.map(toDto) };
  }

  async accept(id: string, staff: StaffPrincipal): Promise<{ match_ids: string[] }> {
    const matchIds = await this.engine.applySuggestion(id, actor(staff));
    return { match_ids: matchIds };
  }

  /** That candidate is never proposed again for that transaction. */
  async decline(id: string, reason: string, staff: StaffPrincipal): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const [row] = await m.query<
        Array<{ transaction_id: string; key: string; kind: string; score: string }>
      >(`SELECT transaction_id, key, kind, score::text AS score FROM suggestions WHERE id = $1`, [
        id,
      ]);
      if (!row) throw notFound('Suggestion', id);
      const declined = await m.query<unknown[]>(
        `INSERT INTO suggestion_declines (transaction_id, key, reason, declined_by, declined_by_key_id)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
        [row.transaction_id, row.key, reason, staff.name, staff.keyId],
      );
      // Declining again changes nothing, and is no new entry.
      if (declined.length > 0) {
        await appendAudit(m, [
          {
            actor: actor(staff),
            action: 'suggestion.declined',
            entity: 'suggestion',
            entityId: id,
            data: { transaction_id: row.transaction_id, kind: row.kind, score: row.score, reason },
          },
        ]);
      }
      await m.query(
        `UPDATE suggestions SET superseded_at = now()
          WHERE transaction_id = $1 AND key = $2 AND superseded_at IS NULL`,
        [row.transaction_id, row.key],
      );
      await m.query(
        `UPDATE transaction_exceptions SET suggested_at = NULL WHERE transaction_id = $1`,
        [row.transaction_id],
      );
    });
    this.wakeups.suggestions.notify();
  }

  /**
   * After a run: exceptions computed before the newest invoice existed may have a candidate
   * now (a customer who paid before the invoice was entered). Cheap when nothing is new.
   */
  async markStaleSinceNewInvoices(): Promise<number> {
    const rows = await this.dataSource.query<Array<{ transaction_id: string }>>(
      `UPDATE transaction_exceptions SET suggested_at = NULL
        WHERE suggested_at < (SELECT max(created_at) FROM invoices)
        RETURNING transaction_id`,
    );
    if (rows.length > 0) this.wakeups.suggestions.notify();
    return rows.length;
  }

  async createRule(body: CreateWriteOffRuleDto, staff: StaffPrincipal): Promise<WriteOffRuleDto> {
    const maxAmount = parseAmount(body.max_amount, body.currency);
    if (!maxAmount.ok) throw invalid('max_amount', maxAmount.message);
    const row = await this.dataSource.transaction(async (m) => {
      const [created] = await m.query<RuleRow[]>(
        `INSERT INTO write_off_rules (name, currency, max_amount, max_percent, reason, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, name, currency, max_amount, max_percent, reason, created_at, created_by`,
        [
          body.name,
          body.currency,
          maxAmount.value,
          body.max_percent ?? null,
          body.reason,
          staff.name,
        ],
      );
      const dto = toRuleDto(created);
      await appendAudit(m, [
        {
          actor: actor(staff),
          action: 'write_off_rule.created',
          entity: 'write_off_rule',
          entityId: dto.id,
          data: {
            name: dto.name,
            currency: dto.currency,
            max_amount: dto.max_amount,
            max_percent: dto.max_percent,
            reason: dto.reason,
          },
        },
      ]);
      // New tolerance may settle exceptions: compute their suggestions again.
      await m.query(`UPDATE transaction_exceptions SET suggested_at = NULL`);
      return created;
    });
    this.wakeups.suggestions.notify();
    return toRuleDto(row);
  }

  async listRules(): Promise<{ data: WriteOffRuleDto[] }> {
    const rows = await this.dataSource.query<RuleRow[]>(
      `SELECT id, name, currency, max_amount, max_percent, reason, created_at, created_by
         FROM write_off_rules WHERE deleted_at IS NULL ORDER BY created_at, id`,
    );
    return { data: rows.map(toRuleDto) };
  }

  /** Kept (its write-offs name it), no longer applied. */
  async deleteRule(id: string, staff: StaffPrincipal): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const updated = await returning<{ name: string }>(
        m,
        `UPDATE write_off_rules SET deleted_at = now(), deleted_by = $2
          WHERE id = $1 AND deleted_at IS NULL RETURNING id, name`,
        [id, staff.name],
      );
      if (updated.length === 0) throw notFound('Write-off rule', id);
      await appendAudit(m, [
        {
          actor: actor(staff),
          action: 'write_off_rule.deleted',
          entity: 'write_off_rule',
          entityId: id,
          data: { name: updated[0].name },
        },
      ]);
    });
  }

  private async compute(
    m: EntityManager,
    transactionIds: string[],
  ): Promise<{ count: number; auto: string[] }> {
    const inputs = await loadInputs(m, transactionIds);
    const answers = transactionIds.map((id) => {
      const input = inputs.get(id);
      return {
        transactionId: id,
        basis: input?.tx.unallocated ?? '0',
        ranked: input ? suggest(input) : [],
      };
    });
    const moved = await movedMeanwhile(m, inputs, answers);
    const batch = answers.map((a) => ({ ...a, moved: moved.has(a.transactionId) }));
    const ids = await writeSuggestions(m, batch);
    const auto: string[] = [];
    for (const b of batch) {
      if (!b.moved && autoPick(b.ranked, this.config.autoMatchThreshold))
        auto.push(ids.get(b.transactionId)![0]);
    }
    return { count: transactionIds.length, auto };
  }

  /** One unit of work for the batch; if it fails, one each, so that one bad row spoils nothing. */
  private async applyAutomatic(ids: string[]): Promise<void> {
    try {
      await this.engine.applyAutomatic(ids);
      return;
    } catch (err) {
      if (ids.length === 1) {
        this.logger.error(
          { err, suggestion_id: ids[0] },
          'automatic suggestion could not be applied',
        );
        return;
      }
    }
    for (const id of ids) await this.applyAutomatic([id]);
  }
}

function toDto(row: SuggestionRow): SuggestionDto {
  return {
    id: row.id,
    transaction_id: row.transaction_id,
    kind: row.kind as SuggestionDto['kind'],
    score: Number(row.score),
    invoices: row.invoices,
    write_off: row.write_off
      ? { amount: row.write_off.amount, reason: row.write_off.reason as WriteOffRuleDto['reason'] }
      : null,
    reversal_of: row.reversal_of,
    evidence: row.evidence,
  };
}

function toRuleDto(row: RuleRow): WriteOffRuleDto {
  return {
    id: row.id,
    name: row.name,
    currency: row.currency,
    max_amount: formatAmount(row.max_amount, row.currency),
    max_percent: row.max_percent === null ? null : String(Number(row.max_percent)),
    reason: row.reason,
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
  };
}

function invalid(field: string, message: string): ProblemException {
  return new ProblemException(HttpStatus.BAD_REQUEST, 'validation-error', `${field} ${message}`, {
    errors: [{ field, message }],
  });
}

function actor(staff: StaffPrincipal): Actor {
  return { name: staff.name, keyId: staff.keyId };
}
