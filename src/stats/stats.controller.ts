import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MinRole } from '../auth/roles.decorator';
import { StatsDto } from './stats.dto';
import { StatsService } from './stats.service';

@ApiTags('operations')
@ApiBearerAuth()
@MinRole('viewer')
@Controller('stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  @ApiOperation({
    summary: 'Counts and sums by status, currency and match status, and the last run (viewer)',
  })
  @ApiResponse({ status: 200, type: StatsDto })
  get(): Promise<StatsDto> {
    return this.stats.stats();
  }
}
