import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Every accepted delivery, byte for byte, once per (bank, event id). */
@Entity('webhook_events')
@Index('uq_webhook_events_bank_event', ['bankId', 'eventId'], { unique: true })
// The raw-event list, newest first, and its transaction filter (migration RawEvents).
@Index('ix_webhook_events_received', ['receivedAt', 'id'])
@Index('ix_webhook_events_transaction', ['bankId', 'externalTransactionId'])
export class WebhookEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'bank_id', type: 'text' })
  bankId!: string;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text', nullable: true })
  eventType!: string | null;

  /** The bank's transaction id this event is about (null for e.g. an Up PING). */
  @Column({ name: 'external_transaction_id', type: 'text', nullable: true })
  externalTransactionId!: string | null;

  @Column({ type: 'bytea' })
  body!: Buffer;

  @Column({ name: 'body_sha256', type: 'bytea' })
  bodySha256!: Buffer;

  @Column({ type: 'jsonb' })
  headers!: Record<string, string>;

  @Column({ name: 'received_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  receivedAt!: Date;
}
