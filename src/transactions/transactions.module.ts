import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BanksModule } from '../banks/banks.module';
import { ProcessingWorker } from './processing.worker';
import { TransactionEntity } from './transaction.entity';
import { TransactionsController } from './transactions.controller';
import { TransactionsService } from './transactions.service';

@Module({
  imports: [TypeOrmModule.forFeature([TransactionEntity]), BanksModule],
  controllers: [TransactionsController],
  providers: [TransactionsService, ProcessingWorker],
  exports: [ProcessingWorker],
})
export class TransactionsModule {}
