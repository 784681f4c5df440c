import { Module } from '@nestjs/common';
import { DeliveryWorker } from './delivery.worker';
import { EVENT_SINKS } from './event-sink';
import { OutboxRelay } from './outbox.relay';
import { RetentionWorker } from './retention.worker';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';
import { WebhookSink } from './webhook.sink';

@Module({
  controllers: [SubscriptionsController],
  providers: [
    SubscriptionsService,
    WebhookSink,
    // A message-bus sink is one more class here and one more entry in this list.
    { provide: EVENT_SINKS, useFactory: (w: WebhookSink) => [w], inject: [WebhookSink] },
    OutboxRelay,
    DeliveryWorker,
    RetentionWorker,
  ],
})
export class EventsModule {}
