import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BanksModule } from '../banks/banks.module';
import { ProcessingWorker } from './processing.worker';
import { TransactionEntity } from './transaction.entity';
import { TransactionsController } from './transactions.controller';
import { TransactionsService } from './transactions.service';
import { WorkSignal } from './work-signal';

@Module({
  imports: [TypeOrmModule.forFeature([TransactionEntity]), BanksModule],
  controllers: [TransactionsController],
  providers: [TransactionsService, ProcessingWorker, WorkSignal],
  exports: [WorkSignal, ProcessingWorker],
})
export class TransactionsModule {}
