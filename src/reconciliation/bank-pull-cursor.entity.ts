import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Where the scheduled pull of one bank resumes. `since` moves to the time a pull began only
 * once every page of that pull is committed; the next pull starts an overlap window before it.
 */
@Entity('bank_pull_cursors')
export class BankPullCursorEntity {
  @PrimaryColumn({ name: 'bank_id', type: 'text' })
  bankId!: string;

  @Column({ type: 'timestamptz', precision: 3 })
  since!: Date;

  @Column({ name: 'last_success_at', type: 'timestamptz', precision: 3, nullable: true })
  lastSuccessAt!: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** The next page of a chain one run could not finish (page limit); null when none. */
  @Column({ name: 'resume_url', type: 'text', nullable: true })
  resumeUrl!: string | null;

  /** When that chain began: where `since` moves once it is finished. */
  @Column({ name: 'resume_started_at', type: 'timestamptz', precision: 3, nullable: true })
  resumeStartedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt!: Date;
}

/** One row per scheduled tick: the instance that inserts it runs that tick, the others skip. */
@Entity('scheduled_ticks')
export class ScheduledTickEntity {
  @PrimaryColumn({ name: 'tick_at', type: 'timestamptz', precision: 3 })
  tickAt!: Date;

  @Column({ name: 'claimed_by', type: 'text' })
  claimedBy!: string;

  @Column({ name: 'claimed_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  claimedAt!: Date;
}
