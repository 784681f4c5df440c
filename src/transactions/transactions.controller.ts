import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MinRole } from '../auth/roles.decorator';
import { TransactionDto, TransactionListDto, TransactionQuery } from './transactions.dto';
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
