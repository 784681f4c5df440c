import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { BackgroundLoop, pollMs, yieldTo } from '../common/background-loop';
import { LoadGauge } from '../common/load-gauge';
import { WorkSignal } from '../common/work-signal';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { chainHash, GENESIS_HASH } from './audit-chain';

/** pg_advisory_xact_lock key of "the audit chain is being extended" (any instance). */
export const CHAIN_LOCK_KEY = 7_243_520_201;
const CHAIN_BATCH = 2000;
const IDLE_MS = 1000;

/** The last chained entry: where the next one links (its writer's txid and pos order it). */
interface ChainEnd {
  seq: number;
  hash: string;
  txid: string;
  pos: string;
}

interface EntryRow {
  id: string;
  pos: string;
  at: Date;
  actor: string;
  actor_key_id: string | null;
  action: string;
  entity: string;
  entity_id: string;
  data: unknown;
}

/**
 * Gives committed audit entries their place in the hash chain. Writers only INSERT into
 * audit_log (no lock, no read of the chain's end), so they never queue behind each other; one
 * chainer at a time (a transaction-scoped advisory lock) appends `audit_chain` rows for entries
 * whose writing transaction has finished: `txid` below the oldest transaction still running
 * (`pg_snapshot_xmin`). No entry can appear later below that line, so the chain order
 * (txid, pos) is final and the chain only ever grows at its end. A writer's transaction that
 * stays open holds chaining back (not the writers) until it ends.
 */
@Injectable()
export class AuditChainer extends BackgroundLoop {
  protected readonly logger = new Logger('AuditChainer');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
    gauge: LoadGauge,
  ) {
    super(
      config.workerEnabled,
      new WorkSignal(),
      pollMs(config, IDLE_MS),
      CHAIN_BATCH,
      25,
      yieldTo(gauge, config),
    );
  }

  tick(): Promise<number> {
    return this.chainBatch(false);
  }

  /**
   * Chains what is committed, batch after batch (at most `maxBatches`: a reader does not work
   * off a whole run's backlog). With `waitMs`, also waits (up to then) for
   * entries visible now whose writers' transactions have not all finished (the oldest running
   * transaction of the cluster may be older than the entry).
   */
  async chainPending(options: {
    wait: boolean;
    waitMs?: number;
    maxBatches?: number;
  }): Promise<void> {
    const deadline = Date.now() + (options.waitMs ?? 0);
    for (let batches = 1; ; batches++) {
      const chained = await this.chainBatch(options.wait);
      if (chained === CHAIN_BATCH && batches < (options.maxBatches ?? Infinity)) continue;
      if (chained === CHAIN_BATCH) return;
      if (!options.waitMs || Date.now() >= deadline || !(await this.unchainedVisible())) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** One batch in one transaction; 0 when another chainer holds the lock (and `wait` is off). */
  async chainBatch(wait: boolean): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      if (wait) {
        await m.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK_KEY]);
      } else {
        const [{ locked }] = await m.query<Array<{ locked: boolean }>>(
          'SELECT pg_try_advisory_xact_lock($1) AS locked',
          [CHAIN_LOCK_KEY],
        );
        if (!locked) return 0;
      }
      const end = await chainEnd(m);
      const rows = await m.query<EntryRow[]>(
        `SELECT id, pos, at, actor, actor_key_id, action, entity, entity_id, data
           FROM audit_log
          WHERE (txid, pos) > ($1::xid8, $2::bigint)
            AND txid < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY txid, pos LIMIT $3`,
        [end?.txid ?? '0', end?.pos ?? '0', CHAIN_BATCH],
      );
      if (rows.length === 0) return 0;
      let seq = end?.seq ?? 0;
      let prev = end?.hash ?? GENESIS_HASH;
      const links = rows.map((row) => {
        seq++;
        const hash = chainHash(prev, {
          id: row.id,
          seq,
          at: row.at.toISOString(),
          actor: row.actor,
          actor_key_id: row.actor_key_id,
          action: row.action,
          entity: row.entity,
          entity_id: row.entity_id,
          data: row.data,
        });
        const link = { seq, pos: row.pos, prev, hash };
        prev = hash;
        return link;
      });
      await m.query(
        `INSERT INTO audit_chain (seq, pos, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])`,
        [
          links.map((l) => l.seq),
          links.map((l) => l.pos),
          links.map((l) => l.prev),
          links.map((l) => l.hash),
        ],
      );
      return rows.length;
    });
  }

  /** Whether an entry this statement sees is still beyond the chain's end. */
  private async unchainedVisible(): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const end = await chainEnd(m);
      const rows = await m.query<unknown[]>(
        `SELECT 1 FROM audit_log WHERE (txid, pos) > ($1::xid8, $2::bigint) LIMIT 1`,
        [end?.txid ?? '0', end?.pos ?? '0'],
      );
      return rows.length > 0;
    });
  }
}

async function chainEnd(m: EntityManager): Promise<ChainEnd | null> {
  const [row] = await m.query<Array<{ seq: string; hash: string; txid: string; pos: string }>>(
    `SELECT c.seq, c.hash, a.txid::text AS txid, a.pos
       FROM audit_chain c JOIN audit_log a ON a.pos = c.pos
      ORDER BY c.seq DESC LIMIT 1`,
  );
  return row ? { seq: Number(row.seq), hash: row.hash, txid: row.txid, pos: row.pos } : null;
}
