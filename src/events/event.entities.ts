import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Generated,
  Index,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { secretColumn } from '../common/secret-box';

export const EVENT_TYPES = [
  'transaction.received',
  'transaction.processed',
  'transaction.failed',
  'invoice.partially_paid',
  'invoice.paid',
  'reconciliation.exception',
  'reconciliation.suggested',
  'reconciliation.run_finished',
  'invoice.written_off',
  'bank.webhooks_missed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The transactional outbox: written in the same database transaction as the change an event
 * describes, read by the relay. `dispatched_at` is set once every sink has taken the event.
 * Columns in the shape of Debezium's outbox event router (`id`, `aggregatetype`, `aggregateid`,
 * `type`, `payload`); a trigger fills the aggregate from the type and payload (DebeziumOutbox).
 */
@Entity('outbox_events')
@Index('ix_outbox_waiting', ['seq'], { where: 'dispatched_at IS NULL' })
// For the retention job's old relayed events; partial, so the intake's insert never touches it.
@Index('ix_outbox_relayed', ['createdAt'], { where: 'dispatched_at IS NOT NULL' })
@Check(
  'ck_outbox_events_debezium',
  'aggregatetype IS NOT NULL AND aggregateid IS NOT NULL AND seq IS NOT NULL',
)
export class OutboxEventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** What the event is about (`transaction`, `invoice`, `run`): Debezium's topic. */
  @Column({ type: 'text', nullable: true })
  aggregatetype!: string | null;

  /** That thing's id: Debezium's Kafka key, so its events keep their order in one partition. */
  @Column({ type: 'text', nullable: true })
  aggregateid!: string | null;

  @Column({ type: 'text' })
  type!: EventType;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  /**
   * Commit order: the relay hands events on in this order. A sequence's default like a
   * bigserial's, but nullable (events relayed before DebeziumOutbox have none).
   */
  @Column({ type: 'bigint', nullable: true })
  @Generated('increment')
  seq!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'dispatched_at', type: 'timestamptz', precision: 3, nullable: true })
  dispatchedAt!: Date | null;
}

@Entity('webhook_subscriptions')
export class SubscriptionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', array: true })
  events!: EventType[];

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true })
  deletedAt!: Date | null;
}

/** Signing secrets; after a rotation the old one signs too until `expires_at` (overlap). */
@Entity('subscription_secrets')
@Index('ix_subscription_secrets_subscription', ['subscriptionId'])
export class SubscriptionSecretEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'text', transformer: secretColumn })
  secret!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event for one subscription: the relay's durable queue of outbound webhooks. */
@Entity('webhook_deliveries')
@Index('uq_webhook_deliveries_event_subscription', ['eventId', 'subscriptionId'], { unique: true })
@Index('ix_webhook_deliveries_due', ['nextAttemptAt'], { where: `status = 'pending'` })
@Index('ix_webhook_deliveries_subscription', ['subscriptionId', 'createdAt'])
@Index('ix_webhook_deliveries_finished', ['expiresAt'], { where: `status <> 'pending'` })
@Index('ix_webhook_deliveries_dead', ['createdAt'], { where: `status = 'dead'` })
@Check('ck_webhook_deliveries_status', `status IN ('pending', 'delivered', 'dead')`)
export class DeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  subscriptionId!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  /** Retries stop here and the delivery is dead-lettered (EVENTS_MAX_AGE_MS after fan-out). */
  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;
}

/** Every attempt of a delivery, kept for `GET /subscriptions/{id}/deliveries`. */
@Entity('delivery_attempts')
@Index('ix_delivery_attempts_delivery', ['deliveryId'])
export class DeliveryAttemptEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'delivery_id', type: 'uuid' })
  deliveryId!: string;

  @Column({ name: 'attempted_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  attemptedAt!: Date;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Column({ name: 'latency_ms', type: 'integer' })
  latencyMs!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;
}
