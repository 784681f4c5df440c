import { Inject, Injectable, Logger } from '@nestjs/common';
import { BackgroundLoop, pollMs, yieldTo } from '../../common/background-loop';
import { LoadGauge } from '../../common/load-gauge';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { Wakeups } from '../../database/wakeups';
import { SUGGEST_BATCH, SuggestionsService } from './suggestions.service';

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

  tick(): Promise<number> {
    return this.suggestions.refreshDue();
  }
}
