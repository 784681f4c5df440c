import { Module } from '@nestjs/common';
import { BanksModule } from '../banks/banks.module';
import { IntakeModule } from '../intake/intake.module';
import { StatementsController } from './statements.controller';
import { StatementsCoverage } from './statements-coverage';
import { StatementsService } from './statements.service';

/** The third source: bank statement files, their entries through the intake, and coverage. */
@Module({
  imports: [BanksModule, IntakeModule],
  controllers: [StatementsController],
  providers: [StatementsService, StatementsCoverage],
})
export class StatementsModule {}
