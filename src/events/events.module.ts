import { Module } from '@nestjs/common';
import { DeliveryWorker } from './delivery.worker';
import { EVENT_SINKS } from './event-sink';
import { JetStreamSink } from './jetstream.sink';
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
    JetStreamSink,
    // A message-bus sink is one more class here and one more entry in this list.
    {
      provide: EVENT_SINKS,
      useFactory: (w: WebhookSink, js: JetStreamSink) => (js.enabled ? [w, js] : [w]),
      inject: [WebhookSink, JetStreamSink],
    },
    OutboxRelay,
    DeliveryWorker,
    RetentionWorker,
  ],
  // /health/ready reports the bus.
  exports: [JetStreamSink],
})
export class EventsModule {}
