import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/roles.decorator';
import { HealthService, Readiness } from './health.service';

const READINESS = {
  type: 'object',
  required: ['ok', 'database', 'pending_migrations', 'event_bus'],
  properties: {
    ok: { type: 'boolean' },
    database: { type: 'string', enum: ['up', 'down'] },
    pending_migrations: {
      type: 'array',
      nullable: true,
      items: { type: 'string' },
      description: 'null while the database is down',
    },
    event_bus: {
      type: 'string',
      enum: ['up', 'down', 'off'],
      description:
        'NATS JetStream (EVENTS_NATS_URL; off when unset). Down does not make the service unready: events wait in the outbox until the bus is back',
    },
    detail: { type: 'string', description: 'what is wrong, when something is' },
  },
};

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiResponse({
    status: 200,
    schema: {
      type: 'object',
      required: ['ok'],
      properties: { ok: { type: 'boolean', enum: [true] } },
    },
  })
  live(): { ok: true } {
    return { ok: true };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database reachable and no migration pending (else 503)' })
  @ApiResponse({ status: 200, description: 'ready', schema: READINESS })
  // Not a problem+json: the same shape as the 200, with what is wrong.
  @ApiResponse({ status: 503, description: 'not ready, with what is wrong', schema: READINESS })
  async ready(@Res({ passthrough: true }) res: Response): Promise<Readiness> {
    const readiness = await this.health.readiness();
    res.status(readiness.ok ? 200 : 503);
    return readiness;
  }
}
