import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MinRole } from '../auth/roles.decorator';
import {
  ReplayResultDto,
  WebhookEventDetailDto,
  WebhookEventListDto,
  WebhookEventQuery,
} from './webhook-events.dto';
import { WebhookEventsService } from './webhook-events.service';
import { WebhookReplayService } from './webhook-replay.service';

/** The raw bank deliveries, as stored by the intake; replay through the intake's rules. */
@ApiTags('webhook-events')
@ApiBearerAuth()
@Controller('webhook-events')
export class WebhookEventsController {
  constructor(
    private readonly events: WebhookEventsService,
    private readonly replays: WebhookReplayService,
  ) {}

  @Get()
  @MinRole('viewer')
  @ApiOperation({
    summary: 'Stored deliveries, newest first, filtered and cursor-paginated',
    description:
      '`outcome`: `created` (the transaction was stored from this event), `duplicate` (it ' +
      'names a transaction stored from another event), `no_transaction` (it names none). ' +
      'Signature headers are never shown.',
  })
  @ApiResponse({ status: 200, type: WebhookEventListDto })
  list(@Query() query: WebhookEventQuery): Promise<WebhookEventListDto> {
    return this.events.list(query);
  }

  @Get(':id')
  @MinRole('viewer')
  @ApiOperation({ summary: 'One stored delivery with its exact bytes (text and base64)' })
  @ApiResponse({ status: 200, type: WebhookEventDetailDto })
  get(@Param('id') id: string): Promise<WebhookEventDetailDto> {
    return this.events.get(id);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @MinRole('operator')
  @ApiOperation({
    summary: 'Normalize the stored bytes again and apply them by the intake rules (operator)',
    description:
      '`result`: `created` (the transaction was not stored; it is now), `updated` (its own ' +
      'event now normalizes to other fields: stored again and requeued), `requeued` (it was ' +
      'FAILED), `unchanged` (nothing to do; `detail` says why). Idempotent: a second replay ' +
      'answers `unchanged`. A transaction with allocations is never reset; no event or ' +
      'transaction is ever added twice.',
  })
  @ApiResponse({ status: 200, type: ReplayResultDto })
  @ApiResponse({
    status: 422,
    description: "The stored bytes do not pass today's validation; nothing changed",
  })
  replay(@Param('id') id: string): Promise<ReplayResultDto> {
    return this.replays.replay(id);
  }
}
