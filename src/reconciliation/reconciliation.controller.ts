import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { MinRole } from '../auth/roles.decorator';
import type { StaffRequest } from '../auth/roles.guard';
import { ApiExport } from '../common/export-openapi';
import { PageQuery } from '../common/pagination';
import { ExceptionExportQuery, MatchExportQuery } from './reconciliation.exports';
import {
  CreateMatchDto,
  ExceptionListDto,
  ExceptionQuery,
  MatchDto,
  MatchListDto,
  ReverseMatchDto,
  RunDto,
  RunListDto,
} from './reconciliation.dto';
import { ReconciliationService } from './reconciliation.service';
import { RunsService } from './runs.service';

const staffOf = (req: StaffRequest): StaffPrincipal => req.staff as StaffPrincipal;

@ApiTags('reconciliation')
@ApiBearerAuth()
@MinRole('viewer')
@Controller('reconcile')
export class ReconciliationController {
  constructor(
    private readonly reconciliation: ReconciliationService,
    private readonly runs: RunsService,
  ) {}

  @Post('run')
  @HttpCode(200)
  @MinRole('operator')
  @ApiOperation({
    summary: 'Run reconciliation now (operator): pull, then match; answers the finished run',
  })
  @ApiResponse({ status: 200, type: RunDto })
  @ApiResponse({ status: 409, description: 'A run is in progress; the problem names it' })
  run(@Req() req: StaffRequest): Promise<RunDto> {
    return this.runs.run('manual', staffOf(req).name);
  }

  @Get('runs')
  @ApiOperation({ summary: 'Reconciliation runs, newest first' })
  @ApiResponse({ status: 200, type: RunListDto })
  listRuns(@Query() query: PageQuery): Promise<RunListDto> {
    return this.reconciliation.listRuns(query.limit, query.cursor);
  }

  @Get('runs/:id')
  @ApiOperation({ summary: 'One reconciliation run' })
  @ApiResponse({ status: 200, type: RunDto })
  getRun(@Param('id', new ParseUUIDPipe()) id: string): Promise<RunDto> {
    return this.reconciliation.getRun(id);
  }

  @Get('runs/:id/matches')
  @ApiOperation({ summary: 'The allocations a run made (reversed ones included, marked)' })
  @ApiResponse({ status: 200, type: MatchListDto })
  listRunMatches(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() query: PageQuery,
  ): Promise<MatchListDto> {
    return this.reconciliation.listRunMatches(id, query.limit, query.cursor);
  }

  @Get('exceptions/export')
  @ApiOperation({
    summary: 'The exceptions as a file (csv or jsonl), oldest first, with the list filters',
  })
  @ApiExport(
    'The exceptions, in the fields of the list',
    'transaction_id,external_id,bank_id,reason,amount,unallocated_amount,currency,reference,description,occurred_at\r\n',
    '{"transaction_id":"…","reason":"unknown_invoice","amount":"5000.00",…}\n',
  )
  async exportExceptions(
    @Query() query: ExceptionExportQuery,
    @Res() res: Response,
  ): Promise<void> {
    await this.reconciliation.exportExceptions(query, res);
  }

  @Get('matches/export')
  @ApiOperation({
    summary:
      'Allocations as a file (csv or jsonl), oldest first, reversed ones included (live ' +
      'false); by run, invoice, transaction, from, to',
  })
  @ApiExport(
    'The allocations, in the fields of an allocation answer',
    'id,transaction_id,invoice_id,invoice_number,amount,currency,rule,run_id,created_by,note,created_at,live,reversed_at,reversed_by,reversal_reason\r\n',
    '{"id":"…","invoice_number":"INV-001","amount":"5000.00","live":true,…}\n',
  )
  async exportMatches(@Query() query: MatchExportQuery, @Res() res: Response): Promise<void> {
    await this.reconciliation.exportMatches(query, res);
  }

  @Get('exceptions')
  @ApiOperation({
    summary: 'Transactions that could not be fully allocated, one reason each, oldest first',
  })
  @ApiResponse({ status: 200, type: ExceptionListDto })
  listExceptions(@Query() query: ExceptionQuery): Promise<ExceptionListDto> {
    return this.reconciliation.listExceptions(query);
  }

  @Post('matches')
  @MinRole('operator')
  @ApiOperation({
    summary:
      'Allocate (part of) a transaction to an invoice by hand (operator); audited. The rules ' +
      'then apply to what is left of the transaction.',
  })
  @ApiResponse({ status: 201, type: MatchDto })
  @ApiResponse({ status: 404, description: 'Unknown transaction or invoice' })
  @ApiResponse({ status: 409, description: 'Not matchable, cancelled, paid, currency, too large' })
  createMatch(@Body() body: CreateMatchDto, @Req() req: StaffRequest): Promise<MatchDto> {
    return this.reconciliation.createMatch(body, staffOf(req));
  }

  @Delete('matches/:id')
  @MinRole('operator')
  @ApiOperation({
    summary:
      'Reverse an allocation (operator); the row is marked (who, when, why), never deleted, ' +
      'and automatic matching never re-makes that pair',
  })
  @ApiResponse({ status: 200, type: MatchDto })
  @ApiResponse({ status: 409, description: 'Already reversed' })
  reverseMatch(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ReverseMatchDto,
    @Req() req: StaffRequest,
  ): Promise<MatchDto> {
    return this.reconciliation.reverseMatch(id, body.reason, staffOf(req));
  }
}
