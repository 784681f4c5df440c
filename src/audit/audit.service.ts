import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import {
  copyStatement,
  exportFileName,
  literal,
  streamExport,
  type ExportColumn,
} from '../common/export';
import { decodeUuidCursor, keysetPage, type Page } from '../common/pagination';
import { queryInstant } from '../common/timestamps';
import { ChainVerifier } from './audit-chain';
import { AuditChainer } from './audit-chainer';
import type {
  AuditEntryDto,
  AuditExportQuery,
  AuditFilters,
  AuditListQuery,
  AuditVerifyDto,
} from './audit.dto';

const VERIFY_PAGE = 5000;
/** How long verify waits for entries whose writers' transactions are still finishing. */
const VERIFY_SETTLE_MS = 5000;

interface EntryRow {
  id: string;
  seq: string | null;
  at: Date;
  actor: string;
  actor_key_id: string | null;
  action: string;
  entity: string;
  entity_id: string;
  data: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
}

const EXPORT_COLUMNS: ExportColumn[] = [
  { name: 'id', sql: 'a.id' },
  { name: 'seq', sql: 'c.seq' },
  { name: 'at', sql: 'bank_sync_iso(a.at)' },
  { name: 'actor', sql: 'a.actor', kind: 'text' },
  { name: 'actor_key_id', sql: 'a.actor_key_id' },
  { name: 'action', sql: 'a.action' },
  { name: 'entity', sql: 'a.entity' },
  { name: 'entity_id', sql: 'a.entity_id', kind: 'text' },
  { name: 'data', sql: 'a.data', kind: 'json' },
  { name: 'prev_hash', sql: 'c.prev_hash' },
  { name: 'hash', sql: 'c.hash' },
];

@Injectable()
export class AuditService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly chainer: AuditChainer,
  ) {}

  /**
   * In the order written (the entries of one unit of work share its `at`, so time alone would
   * shuffle them). Links what is committed first (a batch or two: after a large run, the rest
   * shows `seq: null` until the background chainer gets to it).
   */
  async list(query: AuditListQuery): Promise<Page<AuditEntryDto>> {
    await this.chainer.chainPending({ wait: true, maxBatches: 2 });
    const after = decodeUuidCursor(query.cursor);
    const f = filters(query);
    const rows = await this.dataSource.query<EntryRow[]>(
      `SELECT a.id, c.seq, a.at, a.actor, a.actor_key_id, a.action, a.entity, a.entity_id, a.data,
              c.prev_hash, c.hash
         FROM audit_log a LEFT JOIN audit_chain c ON c.pos = a.pos
        WHERE ($1::text IS NULL OR a.entity = $1)
          AND ($2::text IS NULL OR a.entity_id = $2)
          AND ($3::text IS NULL OR a.actor = $3)
          AND ($4::text IS NULL OR a.action = $4)
          AND ($5::timestamptz IS NULL OR a.at >= $5)
          AND ($6::timestamptz IS NULL OR a.at < $6)
          AND ($7::uuid IS NULL OR a.pos > (SELECT p.pos FROM audit_log p WHERE p.id = $7))
        ORDER BY a.pos LIMIT $8`,
      [f.entity, f.entityId, f.actor, f.action, f.from, f.to, after?.id ?? null, query.limit + 1],
    );
    return keysetPage(rows, query.limit, toEntryDto, (r) => ({ at: r.at, id: r.id }));
  }

  /** Chains what is committed, then recomputes the whole chain in seq order, page by page. */
  async verify(): Promise<AuditVerifyDto> {
    await this.chainer.chainPending({ wait: true, waitMs: VERIFY_SETTLE_MS });
    const verifier = new ChainVerifier();
    let last = 0;
    for (;;) {
      const rows = await this.dataSource.query<Array<EntryRow & { seq: string }>>(
        `SELECT c.seq, c.prev_hash, c.hash, a.id, a.at, a.actor, a.actor_key_id, a.action,
                a.entity, a.entity_id, a.data
           FROM audit_chain c LEFT JOIN audit_log a ON a.pos = c.pos
          WHERE c.seq > $1 ORDER BY c.seq LIMIT $2`,
        [last, VERIFY_PAGE],
      );
      for (const row of rows) {
        const seq = Number(row.seq);
        if (row.id === null) verifier.missing(seq);
        else verifier.add({ ...toEntryDto(row), seq, prev_hash: row.prev_hash!, hash: row.hash! });
        last = seq;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    return { ok: verifier.ok, entries: verifier.entries, first_bad_seq: verifier.firstBadSeq };
  }

  async export(query: AuditExportQuery, res: Response): Promise<void> {
    await this.chainer.chainPending({ wait: true, maxBatches: 2 });
    const f = filters(query);
    const where: string[] = [];
    if (f.entity) where.push(`a.entity = ${literal(f.entity)}`);
    if (f.entityId) where.push(`a.entity_id = ${literal(f.entityId)}`);
    if (f.actor) where.push(`a.actor = ${literal(f.actor)}`);
    if (f.action) where.push(`a.action = ${literal(f.action)}`);
    if (f.from) where.push(`a.at >= ${literal(f.from.toISOString())}::timestamptz`);
    if (f.to) where.push(`a.at < ${literal(f.to.toISOString())}::timestamptz`);
    const rest =
      `FROM audit_log a LEFT JOIN audit_chain c ON c.pos = a.pos ` +
      `${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.pos`;
    await streamExport(this.dataSource, res, {
      sql: copyStatement(EXPORT_COLUMNS, rest, query.format),
      format: query.format,
      fileName: exportFileName('audit', query.format),
    });
  }
}

function filters(q: AuditFilters) {
  return {
    entity: q.entity ?? null,
    entityId: q.entity_id ?? null,
    actor: q.actor ?? null,
    action: q.action ?? null,
    from: q.from ? queryInstant('from', q.from) : null,
    to: q.to ? queryInstant('to', q.to) : null,
  };
}

function toEntryDto(row: EntryRow): AuditEntryDto {
  return {
    id: row.id,
    seq: row.seq === null ? null : Number(row.seq),
    at: row.at.toISOString(),
    actor: row.actor,
    actor_key_id: row.actor_key_id,
    action: row.action,
    entity: row.entity,
    entity_id: row.entity_id,
    data: row.data,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
