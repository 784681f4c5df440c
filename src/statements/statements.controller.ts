import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { MinRole } from '../auth/roles.decorator';
import type { StaffPrincipal } from '../auth/api-keys.service';
import type { StaffRequest } from '../auth/roles.guard';
import { CoverageDto, CoverageQuery } from './coverage.dto';
import { StatementsCoverage } from './statements-coverage';
import {
  CsvMappingDto,
  EntryPageQuery,
  StatementDetailDto,
  StatementListDto,
  StatementListQuery,
  StatementUploadDto,
  UploadQuery,
} from './statements.dto';
import { StatementsService } from './statements.service';

const FILE_SCHEMA = { type: 'string', format: 'binary' };

@ApiTags('statements')
@ApiBearerAuth()
@Controller()
export class StatementsController {
  constructor(
    private readonly statements: StatementsService,
    private readonly coverageService: StatementsCoverage,
  ) {}

  @Post('banks/:id/statements')
  @MinRole('operator')
  @ApiOperation({
    summary: 'Upload a bank statement file (operator): camt.053, camt.054, MT940, OFX or CSV',
    description:
      'The file is the body (any content type but JSON), or the `file` field of a ' +
      'multipart/form-data body; up to STATEMENT_MAX_BYTES (50 MiB), read as a stream. Its entries ' +
      'go through the intake (`source: statement`) and are matched like any transaction. The ' +
      'same file again answers 200 with the stored answer; a file that cannot be read is a 400 ' +
      'naming the line or element, and nothing of it is stored.',
  })
  @ApiConsumes(
    'application/xml',
    'text/plain',
    'text/csv',
    'application/octet-stream',
    'multipart/form-data',
  )
  @ApiBody({
    schema: FILE_SCHEMA,
    description: 'the statement file, or multipart/form-data with the field `file`',
  })
  @ApiResponse({ status: 201, type: StatementUploadDto, description: 'stored' })
  @ApiResponse({
    status: 200,
    type: StatementUploadDto,
    description: 'this file was stored before',
  })
  @ApiResponse({ status: 413, description: 'over STATEMENT_MAX_BYTES' })
  async upload(
    @Param('id') id: string,
    @Query() query: UploadQuery,
    @Req() req: StaffRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StatementUploadDto> {
    const { created, answer } = await this.statements.upload(
      id,
      req,
      query.format ?? null,
      req.staff?.name ?? 'unknown',
    );
    res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return answer;
  }

  @Put('banks/:id/csv-mapping')
  @MinRole('operator')
  @ApiOperation({ summary: "Save the bank's CSV mapping (operator)" })
  @ApiResponse({ status: 200, type: CsvMappingDto })
  putMapping(
    @Param('id') id: string,
    @Body() body: CsvMappingDto,
    @Req() req: StaffRequest,
  ): Promise<CsvMappingDto> {
    return this.statements.putMapping(id, body, req.staff as StaffPrincipal);
  }

  @Get('banks/:id/statements')
  @MinRole('viewer')
  @ApiOperation({ summary: "A bank's statements, newest first (viewer)" })
  @ApiResponse({ status: 200, type: StatementListDto })
  list(@Param('id') id: string, @Query() query: StatementListQuery): Promise<StatementListDto> {
    return this.statements.list(id, query.limit, query.cursor);
  }

  @Get('banks/:id/coverage')
  @MinRole('viewer')
  @ApiOperation({
    summary: 'Per day: statement entries against webhooks and the pull (viewer)',
    description: '`only_in_statement` are missed webhooks.',
  })
  @ApiResponse({ status: 200, type: CoverageDto })
  coverage(@Param('id') id: string, @Query() query: CoverageQuery): Promise<CoverageDto> {
    return this.coverageService.coverage(id, query.from, query.to);
  }

  @Get('statements/:id')
  @MinRole('viewer')
  @ApiOperation({
    summary: 'One statement with a page of its entries and what each became (viewer)',
  })
  @ApiResponse({ status: 200, type: StatementDetailDto })
  get(@Param('id') id: string, @Query() query: EntryPageQuery): Promise<StatementDetailDto> {
    return this.statements.get(id, query.limit, query.cursor);
  }
}
