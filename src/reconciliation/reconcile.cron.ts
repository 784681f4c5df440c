import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { CronJob, CronTime } from 'cron';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { RunsService } from './runs.service';

const JOB = 'reconcile';

/**
 * The scheduled fallback run (RECONCILE_CRON, UTC). Every instance's timer fires; each then
 * tries to claim the tick by inserting its scheduled time into `scheduled_ticks`. The primary
 * key lets exactly one instance win, even if the runs are too short to overlap, which an
 * advisory lock alone would not ensure. The winner runs pull-then-match; the others skip. A
 * tick that meets a run in progress releases its claim: that run covers it.
 */
@Injectable()
export class ReconcileCron implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ReconcileCron');
  private readonly instance = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  /** Ticks in progress (a tick that met a run in progress ends at once, others do not). */
  private readonly ticks = new Set<Promise<void>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: SchedulerRegistry,
    private readonly runs: RunsService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.reconcileCron === 'off') return;
    const job = CronJob.from({
      cronTime: this.config.reconcileCron,
      timeZone: 'UTC',
      start: true,
      onTick: () => {
        const tick = this.tick();
        this.ticks.add(tick);
        void tick.finally(() => this.ticks.delete(tick));
      },
    });
    this.registry.addCronJob(JOB, job);
  }

  /**
   * Before the pool closes (every `beforeApplicationShutdown` runs before any
   * `onApplicationShutdown`, and TypeORM closes the pool in one): no tick fires any more, and a
   * tick in progress ends (RunsService stops its run after the current batch).
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.registry.doesExist('cron', JOB)) {
      await this.registry.getCronJob(JOB).stop();
      this.registry.deleteCronJob(JOB);
    }
    await Promise.allSettled([...this.ticks]);
  }

  /**
   * The tick's scheduled time: the latest one at or before the firing (plus 100 ms, should a
   * timer fire a hair early). Timers fire late, by milliseconds usually, by seconds on a stalled
   * event loop, and not at once on every instance; all of them must name the same tick. (The
   * next time after "firing − 0.9 s" named the following tick once a timer was 0.9 s late: that
   * tick then ran twice, once early, and the late one's own tick not at all.) Looked for back to
   * one interval before the firing; a timer later than that names the tick it fired for.
   */
  static tickTime(expression: string, firedAt: Date): Date {
    const time = new CronTime(expression, 'UTC');
    const next = (after: number): number => time.getNextDateFrom(new Date(after)).toMillis();
    const limit = firedAt.getTime() + 100;
    const upcoming = next(firedAt.getTime());
    const interval = next(upcoming) - upcoming;
    let latest: number | null = null;
    for (let at = next(firedAt.getTime() - interval - 1000); at <= limit; at = next(at)) {
      latest = at;
    }
    return new Date(latest ?? upcoming);
  }

  async tick(firedAt = new Date()): Promise<void> {
    const tickAt = ReconcileCron.tickTime(this.config.reconcileCron, firedAt);
    let claimed = false;
    try {
      const inserted = await this.dataSource.query<unknown[]>(
        `INSERT INTO scheduled_ticks (tick_at, claimed_by) VALUES ($1, $2)
         ON CONFLICT (tick_at) DO NOTHING RETURNING tick_at`,
        [tickAt, this.instance],
      );
      claimed = inserted.length > 0;
      if (!claimed) {
        this.logger.debug(`tick ${tickAt.toISOString()} is another instance's`);
        return;
      }
      this.logger.log(`tick ${tickAt.toISOString()}: scheduled run starting`);
      const run = await this.runs.run('scheduled', null);
      this.logger.log(
        `tick ${tickAt.toISOString()}: run ${run.id} ${run.status}, pulled ${run.pulled_count}, ` +
          `matched ${run.matched_count}, unmatched ${run.unmatched_count}`,
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof HttpException && err.getStatus() === 409) {
        // Another run (manual, or a previous tick's that outlasted the interval) is in progress;
        // it pulls and matches too, so this tick is covered. The claim is released, so that
        // `scheduled_ticks` lists exactly the ticks that ran.
        this.logger.log(
          `tick ${tickAt.toISOString()}: covered by the run in progress (${message})`,
        );
        if (claimed) await this.release(tickAt);
      } else {
        this.logger.error(`tick ${tickAt.toISOString()} failed: ${message}`);
      }
    }
  }

  private async release(tickAt: Date): Promise<void> {
    try {
      await this.dataSource.query(
        `DELETE FROM scheduled_ticks WHERE tick_at = $1 AND claimed_by = $2`,
        [tickAt, this.instance],
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn(`tick ${tickAt.toISOString()}: claim not released: ${message}`);
    }
  }
}
