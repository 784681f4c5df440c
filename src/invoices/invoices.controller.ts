import {
  Body,
  Controller,
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
import {
  CreateInvoiceDto,
  InvoiceDto,
  InvoiceListDto,
  InvoiceListQuery,
  InvoiceWithAllocationsDto,
} from './invoices.dto';
import { ApiExport } from '../common/export-openapi';
import { InvoiceExportQuery } from './invoices.exports';
import { InvoicesService } from './invoices.service';

@ApiTags('invoices')
@ApiBearerAuth()
@MinRole('viewer')
@Controller('invoices')
export class InvoicesController {
  constructor(private readonly invoices: InvoicesService) {}

  @Post()
  @MinRole('operator')
  @ApiOperation({ summary: 'Create an invoice (operator)' })
  @ApiResponse({ status: 201, type: InvoiceDto })
  @ApiResponse({ status: 409, description: 'The number is taken (ignoring case and separators)' })
  create(@Body() body: CreateInvoiceDto, @Req() req: StaffRequest): Promise<InvoiceDto> {
    return this.invoices.create(body, req.staff as StaffPrincipal);
  }

  @Get()
  @ApiOperation({ summary: 'Invoices, oldest first, filtered by status and number' })
  @ApiResponse({ status: 200, type: InvoiceListDto })
  list(@Query() query: InvoiceListQuery): Promise<InvoiceListDto> {
    return this.invoices.list(query);
  }

  @Get('export')
  @ApiOperation({
    summary: 'Invoices as a file (csv or jsonl), oldest first, by status and number',
  })
  @ApiExport(
    'The invoices, in the fields of an invoice answer',
    'id,invoice_number,customer,currency,amount_due,amount_paid,amount_outstanding,amount_written_off,status,due_date,created_at,updated_at,cancelled_at,cancelled_by\r\n',
    '{"id":"…","invoice_number":"INV-001","amount_due":"5000.00","status":"paid",…}\n',
  )
  async export(@Query() query: InvoiceExportQuery, @Res() res: Response): Promise<void> {
    await this.invoices.export(query, res);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One invoice with its allocations' })
  @ApiResponse({ status: 200, type: InvoiceWithAllocationsDto })
  get(@Param('id', new ParseUUIDPipe()) id: string): Promise<InvoiceWithAllocationsDto> {
    return this.invoices.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @MinRole('operator')
  @ApiOperation({ summary: 'Cancel an unpaid invoice (operator); cancelling again is a no-op' })
  @ApiResponse({ status: 200, type: InvoiceDto })
  @ApiResponse({ status: 409, description: 'It has live allocations: reverse them first' })
  cancel(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Req() req: StaffRequest,
  ): Promise<InvoiceDto> {
    return this.invoices.cancel(id, req.staff as StaffPrincipal);
  }
}
