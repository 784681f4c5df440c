import { Inject, Injectable, Logger } from '@nestjs/common';
import { BackgroundLoop, pollMs, yieldTo } from '../../common/background-loop';
import { LoadGauge } from '../../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { Wakeups } from '../../database/wakeups';
import { SUGGEST_BATCH, SuggestionsService } from './suggestions.service';

/** Batches computed at once (bench/RESULTS.md, suggestion speed). */
const SIDE_BY_SIDE = 2;
/** Idle poll: woken at once by matching and by staff changes (LISTEN/NOTIFY). */
const IDLE_MS = 5_000;

/**
 * Computes the suggestions of exceptions that are due (new, or the money moved), batch after
 * batch, giving way to a webhook burst like every background loop.
 */
@Injectable()
export class SuggestionWorker extends BackgroundLoop {
  protected readonly logger = new Logger('SuggestionWorker');

  constructor(
    private readonly suggestions: SuggestionsService,
    @Inject(APP_CONFIG) config: AppConfig,
    wakeups: Wakeups,
    gauge: LoadGauge,
  ) {
    super(
      config.workerEnabled,
      wakeups.suggestions,
      pollMs(config, IDLE_MS),
      SUGGEST_BATCH,
      25,
      yieldTo(gauge, config),
    );
  }

  /**
   * Two batches side by side, as two instances would run them (SKIP LOCKED gives each its own
   * exceptions): one computes in node while the other's statements run in PostgreSQL.
   */
  async tick(): Promise<number> {
    const done = await Promise.all(
      Array.from({ length: SIDE_BY_SIDE }, () => this.suggestions.refreshDue()),
    );
    return done.reduce((a, b) => a + b, 0);
  }
}
