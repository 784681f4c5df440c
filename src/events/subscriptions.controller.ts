import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { MinRole } from '../auth/roles.decorator';
import type { StaffRequest } from '../auth/roles.guard';
import { PageQuery } from '../common/pagination';
import {
  CreateSubscriptionDto,
  DeliveryListDto,
  RotateSecretDto,
  SubscriptionCreatedDto,
  SubscriptionDto,
  SubscriptionListDto,
  UpdateSubscriptionDto,
} from './subscriptions.dto';
import { SubscriptionsService } from './subscriptions.service';

const staffOf = (req: StaffRequest): StaffPrincipal => req.staff as StaffPrincipal;

@ApiTags('subscriptions')
@ApiBearerAuth()
@MinRole('admin')
@Controller('subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to events (admin). The signing secret is shown only in this answer.',
    description:
      'Events are POSTed as `{ id, type, occurred_at, data }`, signed per Standard Webhooks ' +
      "(`webhook-id` = event id, the receiver's idempotency key; `webhook-timestamp`; " +
      '`webhook-signature`). Retried with backoff for up to 24 h, then dead-lettered.',
  })
  @ApiResponse({ status: 201, type: SubscriptionCreatedDto })
  create(
    @Body() body: CreateSubscriptionDto,
    @Req() req: StaffRequest,
  ): Promise<SubscriptionCreatedDto> {
    return this.subscriptions.create(body, staffOf(req));
  }

  @Get()
  @ApiOperation({ summary: 'List subscriptions (admin)' })
  @ApiResponse({ status: 200, type: SubscriptionListDto })
  list(@Query() q: PageQuery): Promise<SubscriptionListDto> {
    return this.subscriptions.list(q.limit, q.cursor);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription (admin); never its secret' })
  @ApiResponse({ status: 200, type: SubscriptionDto })
  get(@Param('id') id: string): Promise<SubscriptionDto> {
    return this.subscriptions.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, events, enabled or description (admin)' })
  @ApiResponse({ status: 200, type: SubscriptionDto })
  update(
    @Param('id') id: string,
    @Body() body: UpdateSubscriptionDto,
    @Req() req: StaffRequest,
  ): Promise<SubscriptionDto> {
    return this.subscriptions.update(id, body, staffOf(req));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a subscription (admin); its delivery history is kept' })
  async remove(@Param('id') id: string, @Req() req: StaffRequest): Promise<void> {
    await this.subscriptions.remove(id, staffOf(req));
  }

  @Post(':id/rotate-secret')
  @ApiOperation({
    summary: 'New signing secret (admin), shown once; the old one also signs during the overlap',
  })
  @ApiResponse({ status: 201, type: SubscriptionCreatedDto })
  rotate(
    @Param('id') id: string,
    @Body() body: RotateSecretDto,
    @Req() req: StaffRequest,
  ): Promise<SubscriptionCreatedDto> {
    return this.subscriptions.rotateSecret(id, staffOf(req), body.overlap_seconds);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Deliveries of a subscription with every attempt (admin)' })
  @ApiResponse({ status: 200, type: DeliveryListDto })
  deliveries(@Param('id') id: string, @Query() q: PageQuery): Promise<DeliveryListDto> {
    return this.subscriptions.deliveries(id, q.limit, q.cursor);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a dead-lettered delivery again (admin)' })
  @ApiResponse({ status: 202 })
  async retry(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<void> {
    await this.subscriptions.retryDelivery(id, deliveryId);
  }
}
