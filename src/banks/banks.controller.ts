import { Body, Controller, Get, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { MinRole } from '../auth/roles.decorator';
import type { StaffRequest } from '../auth/roles.guard';
import { PageQuery } from '../common/pagination';
import {
  BankDto,
  BankListDto,
  CREATE_BANK_EXAMPLES,
  CreateBankDto,
  UpdateBankDto,
} from './banks.dto';
import { BanksService } from './banks.service';

@ApiTags('banks')
@ApiBearerAuth()
@Controller('banks')
export class BanksController {
  constructor(private readonly banks: BanksService) {}

  @Post()
  @MinRole('admin')
  @ApiOperation({ summary: 'Add a partner bank (admin). Secrets are write-only.' })
  @ApiBody({ type: CreateBankDto, examples: CREATE_BANK_EXAMPLES })
  @ApiResponse({ status: 201, type: BankDto })
  @ApiResponse({ status: 409, description: 'a bank with this id exists' })
  create(@Body() body: CreateBankDto, @Req() req: StaffRequest): Promise<BankDto> {
    return this.banks.create(body, req.staff as StaffPrincipal);
  }

  @Get()
  @MinRole('viewer')
  @ApiOperation({ summary: 'List partner banks (viewer)' })
  @ApiResponse({ status: 200, type: BankListDto })
  list(@Query() query: PageQuery): Promise<BankListDto> {
    return this.banks.list(query.limit, query.cursor);
  }

  @Get(':id')
  @MinRole('viewer')
  @ApiOperation({ summary: 'One partner bank (viewer)' })
  @ApiResponse({ status: 200, type: BankDto })
  get(@Param('id') id: string): Promise<BankDto> {
    return this.banks.get(id);
  }

  @Patch(':id')
  @MinRole('admin')
  @ApiOperation({ summary: 'Change a bank: name, headers, API, or rotate its secrets (admin)' })
  @ApiResponse({ status: 200, type: BankDto })
  update(
    @Param('id') id: string,
    @Body() body: UpdateBankDto,
    @Req() req: StaffRequest,
  ): Promise<BankDto> {
    return this.banks.update(id, body, req.staff as StaffPrincipal);
  }
}
