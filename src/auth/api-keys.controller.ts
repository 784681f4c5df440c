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
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PageQuery } from '../common/pagination';
import { ApiKeyCreatedDto, ApiKeyListDto, CreateApiKeyDto, CurrentKeyDto } from './api-keys.dto';
import { ApiKeysService, type StaffPrincipal } from './api-keys.service';
import { MinRole } from './roles.decorator';
import type { StaffRequest } from './roles.guard';

@ApiTags('api-keys')
@ApiBearerAuth()
@MinRole('admin')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a staff API key (admin). The key is shown only in this answer.',
  })
  @ApiResponse({ status: 201, type: ApiKeyCreatedDto })
  create(@Body() body: CreateApiKeyDto): Promise<ApiKeyCreatedDto> {
    return this.keys.create(body.name, body.role);
  }

  @Get()
  @ApiOperation({ summary: 'List active staff API keys (admin); never the key or its hash' })
  @ApiResponse({ status: 200, type: ApiKeyListDto })
  list(@Query() query: PageQuery): Promise<ApiKeyListDto> {
    return this.keys.list(query.limit, query.cursor);
  }

  // Any role: a key may always ask what it is (the console hides what its role may not do).
  @Get('me')
  @MinRole('viewer')
  @ApiOperation({ summary: 'The key this request is made with: its name and role (any role)' })
  @ApiResponse({ status: 200, type: CurrentKeyDto })
  me(@Req() req: StaffRequest): CurrentKeyDto {
    const staff = req.staff as StaffPrincipal;
    return { id: staff.keyId, name: staff.name, role: staff.role };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a staff API key (admin)' })
  @ApiResponse({ status: 204 })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.keys.revoke(id);
  }
}
