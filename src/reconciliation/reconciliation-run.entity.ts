import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const RUN_TRIGGERS = ['manual', 'scheduled'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];
/** partial: finished, but the pull failed for at least one bank (see `banks[].error`). */
export const RUN_STATUSES = ['running', 'succeeded', 'partial', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunBankResult {
  bank_id: string;
  pulled_count: number;
  error: string | null;
}

/** One reconciliation run. At most one is `running` (uq_reconciliation_runs_running). */
@Entity('reconciliation_runs')
@Index('uq_reconciliation_runs_running', ['status'], { unique: true, where: `status = 'running'` })
@Index('ix_reconciliation_runs_started', ['startedAt', 'id'])
@Check('ck_reconciliation_runs_trigger', `trigger IN ('manual', 'scheduled')`)
@Check('ck_reconciliation_runs_status', `status IN ('running', 'succeeded', 'partial', 'failed')`)
export class ReconciliationRunEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  trigger!: RunTrigger;

  @Column({ type: 'text', default: 'running' })
  status!: RunStatus;

  @Column({ name: 'started_by', type: 'text', nullable: true })
  startedBy!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 3, nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'pulled_count', type: 'integer', default: 0 })
  pulledCount!: number;

  @Column({ name: 'matched_count', type: 'integer', default: 0 })
  matchedCount!: number;

  @Column({ name: 'unmatched_count', type: 'integer', default: 0 })
  unmatchedCount!: number;

  /** At most RUN_ID_LIST_CAP ids each; `ids_truncated` says when more were left out. */
  @Column({ name: 'matched_transaction_ids', type: 'uuid', array: true })
  matchedTransactionIds!: string[];

  @Column({ name: 'unmatched_transaction_ids', type: 'uuid', array: true })
  unmatchedTransactionIds!: string[];

  @Column({ name: 'ids_truncated', type: 'boolean', default: false })
  idsTruncated!: boolean;

  @Column({ type: 'jsonb' })
  banks!: RunBankResult[];

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}
