import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { MinRole } from '../auth/roles.decorator';
import { ApiExport } from '../common/export-openapi';
import { AuditExportQuery, AuditListDto, AuditListQuery, AuditVerifyDto } from './audit.dto';
import { AuditService } from './audit.service';

@ApiTags('audit')
@ApiBearerAuth()
@MinRole('viewer')
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary:
      'The audit log, oldest first: every change to money or access, who (key name or ' +
      '`system`), when, what; filtered by entity, entity_id, actor, action, from, to',
  })
  @ApiResponse({ status: 200, type: AuditListDto })
  list(@Query() query: AuditListQuery): Promise<AuditListDto> {
    return this.audit.list(query);
  }

  @Get('verify')
  @ApiOperation({
    summary:
      'Recompute the hash chain: ok, how many entries, and the first seq that does not check ' +
      '(an entry edited, deleted or moved behind the database trigger)',
  })
  @ApiResponse({ status: 200, type: AuditVerifyDto })
  verify(): Promise<AuditVerifyDto> {
    return this.audit.verify();
  }

  @Get('export')
  @ApiOperation({ summary: 'The audit log as a file (csv or jsonl), with the list filters' })
  @ApiExport(
    'The audit entries, oldest first',
    'id,seq,at,actor,actor_key_id,action,entity,entity_id,data,prev_hash,hash\r\n',
    '{"id":"…","seq":1,"at":"2026-02-27T12:00:00.000Z","actor":"system","action":"allocation.created",…}\n',
  )
  async export(@Query() query: AuditExportQuery, @Res() res: Response): Promise<void> {
    await this.audit.export(query, res);
  }
}
