import { Global, Module } from '@nestjs/common';
import { TRANSACTION_MATCHER } from '../transactions/transaction-matcher';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationService } from './reconciliation.service';
import { NoBankPullStep, RUN_PULL_STEP } from './run-pull-step';
import { RunsService } from './runs.service';

/** Global so that background processing can inject TRANSACTION_MATCHER without a cycle. */
@Global()
@Module({
  controllers: [ReconciliationController],
  providers: [
    ReconciliationService,
    RunsService,
    { provide: RUN_PULL_STEP, useClass: NoBankPullStep },
    { provide: TRANSACTION_MATCHER, useExisting: ReconciliationService },
  ],
  exports: [TRANSACTION_MATCHER, RunsService, ReconciliationService],
})
export class ReconciliationModule {}
