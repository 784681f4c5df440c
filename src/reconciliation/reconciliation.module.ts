import { Global, Module } from '@nestjs/common';
import { BanksModule } from '../banks/banks.module';
import { IntakeModule } from '../intake/intake.module';
import { BankPullStep } from './bank-pull.step';
import { ReconcileCron } from './reconcile.cron';
import { TRANSACTION_MATCHER } from '../transactions/transaction-matcher';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationService } from './reconciliation.service';
import { RUN_PULL_STEP } from './run-pull-step';
import { RunsService } from './runs.service';
import { SuggestionWorker } from './suggestions/suggestion.worker';
import { SuggestionsController } from './suggestions/suggestions.controller';
import { SuggestionsService } from './suggestions/suggestions.service';

/** Global so that background processing can inject TRANSACTION_MATCHER without a cycle. */
@Global()
@Module({
  imports: [BanksModule, IntakeModule],
  controllers: [ReconciliationController, SuggestionsController],
  providers: [
    ReconciliationService,
    RunsService,
    ReconcileCron,
    SuggestionsService,
    SuggestionWorker,
    { provide: RUN_PULL_STEP, useClass: BankPullStep },
    { provide: TRANSACTION_MATCHER, useExisting: ReconciliationService },
  ],
  exports: [TRANSACTION_MATCHER, RunsService, ReconciliationService],
})
export class ReconciliationModule {}
