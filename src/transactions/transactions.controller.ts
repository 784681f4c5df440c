import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MinRole } from '../auth/roles.decorator';
import { MatchListDto } from '../reconciliation/reconciliation.dto';
import {
  BulkRetryDto,
  BulkRetryResultDto,
  TransactionDto,
  TransactionListDto,
  TransactionQuery,
} from './transactions.dto';
import { TransactionsService } from './transactions.service';

@ApiTags('transactions')
@ApiBearerAuth()
@Controller('transactions')
export class TransactionsController {
  constructor(private readonly transactions: TransactionsService) {}

  @Get()
  @MinRole('viewer')
  @ApiOperation({ summary: 'List transactions, newest first, filtered and cursor-paginated' })
  @ApiResponse({ status: 200, type: TransactionListDto })
  list(@Query() query: TransactionQuery): Promise<TransactionListDto> {
    return this.transactions.list(query);
  }

  @Get(':id')
  @MinRole('viewer')
  @ApiOperation({ summary: 'One transaction' })
  @ApiResponse({ status: 200, type: TransactionDto })
  get(@Param('id') id: string): Promise<TransactionDto> {
    return this.transactions.get(id);
  }

  // A transaction has a handful of allocations (one per invoice it pays, and reversals): one
  // page, next_cursor always null, in the list shape so a later cursor changes nothing.
  @Get(':id/allocations')
  @MinRole('viewer')
  @ApiOperation({
    summary: 'The allocations of one transaction, reversed ones included (marked), oldest first',
  })
  @ApiResponse({ status: 200, type: MatchListDto })
  @ApiResponse({ status: 404, description: 'Unknown transaction' })
  allocations(@Param('id') id: string): Promise<MatchListDto> {
    return this.transactions.allocations(id);
  }

  @Post('retry')
  @HttpCode(200)
  @MinRole('operator')
  @ApiOperation({
    summary: 'Put every FAILED transaction the filters select back to PENDING (operator)',
    description:
      'The rules of the single retry, in one statement. `dry_run: true` answers only ' +
      '`{count}` and changes nothing; `from`/`to` filter on `occurred_at`, as the list does.',
  })
  @ApiResponse({ status: 200, type: BulkRetryResultDto })
  retryAll(@Body() body: BulkRetryDto): Promise<BulkRetryResultDto> {
    return this.transactions.retryAll(body);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @MinRole('operator')
  @ApiOperation({ summary: 'Put a FAILED transaction back to PENDING (operator)' })
  @ApiResponse({ status: 200, type: TransactionDto })
  @ApiResponse({ status: 409, description: 'the transaction is not FAILED' })
  retry(@Param('id') id: string): Promise<TransactionDto> {
    return this.transactions.retry(id);
  }
}
