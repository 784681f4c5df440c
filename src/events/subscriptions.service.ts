import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { appendAudit, type AuditAction } from '../audit/audit-log';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { Wakeups } from '../database/wakeups';
import { returning } from '../database/sql';
import { decodeUuidCursor, isUuid, keysetPage, type Page } from '../common/pagination';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { SubscriptionEntity, SubscriptionSecretEntity } from './event.entities';
import { subscriberUrlProblem } from './subscriber-url';
import type {
  CreateSubscriptionDto,
  DeliveryDto,
  SubscriptionCreatedDto,
  SubscriptionDto,
  UpdateSubscriptionDto,
} from './subscriptions.dto';

const DEFAULT_OVERLAP_S = 86_400;

export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  attempt_log: Array<{
    attempted_at: string;
    response_status: number | null;
    latency_ms: number;
    error: string | null;
  }>;
}

@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly wakeups: Wakeups,
  ) {}

  async create(dto: CreateSubscriptionDto, staff: StaffPrincipal): Promise<SubscriptionCreatedDto> {
    await this.checkUrl(dto.url);
    const secret = newSigningSecret();
    const id = await this.dataSource.transaction(async (m) => {
      const sub = await m.save(
        m.create(SubscriptionEntity, {
          url: dto.url,
          events: dto.events,
          description: dto.description ?? null,
        }),
      );
      await m.save(m.create(SubscriptionSecretEntity, { subscriptionId: sub.id, secret }));
      await audit(m, staff, 'subscription.created', sub.id, {
        url: sub.url,
        events: sub.events,
        description: sub.description,
      });
      return sub.id;
    });
    return { ...(await this.get(id)), secret };
  }

  async get(id: string): Promise<SubscriptionDto> {
    const sub = await this.find(id);
    return this.toDto(sub);
  }

  async list(limit: number, cursor?: string): Promise<Page<SubscriptionDto>> {
    const qb = this.dataSource
      .getRepository(SubscriptionEntity)
      .createQueryBuilder('s')
      .where('s.deleted_at IS NULL')
      .orderBy('s.created_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .take(limit + 1);
    const after = decodeUuidCursor(cursor);
    if (after) qb.andWhere('(s.created_at, s.id) > (:at, :id)', after);
    const page = keysetPage(
      await qb.getMany(),
      limit,
      (s) => s,
      (s) => ({ at: s.createdAt, id: s.id }),
    );
    return {
      data: await Promise.all(page.data.map((s) => this.toDto(s))),
      next_cursor: page.next_cursor,
    };
  }

  async update(
    id: string,
    dto: UpdateSubscriptionDto,
    staff: StaffPrincipal,
  ): Promise<SubscriptionDto> {
    const sub = await this.find(id);
    if (dto.url !== undefined) {
      await this.checkUrl(dto.url);
      sub.url = dto.url;
    }
    if (dto.events !== undefined) sub.events = dto.events;
    if (dto.enabled !== undefined) sub.enabled = dto.enabled;
    if (dto.description !== undefined) sub.description = dto.description;
    await this.dataSource.transaction(async (m) => {
      await m.save(sub);
      await audit(m, staff, 'subscription.updated', sub.id, { ...dto });
    });
    return this.toDto(sub);
  }

  /** Soft delete: deliveries and their history stay; nothing more is sent. */
  async remove(id: string, staff: StaffPrincipal): Promise<void> {
    const sub = await this.find(id);
    await this.dataSource.transaction(async (m) => {
      await audit(m, staff, 'subscription.deleted', sub.id, { url: sub.url });
      await m.update(SubscriptionEntity, { id: sub.id }, { deletedAt: new Date(), enabled: false });
      await m.query(
        `UPDATE webhook_deliveries SET status = 'dead', last_error = 'subscription deleted'
          WHERE subscription_id = $1 AND status = 'pending'`,
        [sub.id],
      );
    });
  }

  /** A new secret (shown once); the old ones keep signing until the overlap ends. */
  async rotateSecret(
    id: string,
    staff: StaffPrincipal,
    overlapSeconds = DEFAULT_OVERLAP_S,
  ): Promise<SubscriptionCreatedDto> {
    const sub = await this.find(id);
    const secret = newSigningSecret();
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `UPDATE subscription_secrets SET expires_at = now() + make_interval(secs => $2)
          WHERE subscription_id = $1 AND (expires_at IS NULL OR expires_at > now() + make_interval(secs => $2))`,
        [sub.id, overlapSeconds],
      );
      await m.save(m.create(SubscriptionSecretEntity, { subscriptionId: sub.id, secret }));
      // Never the secret: that a new one signs, and how long the old ones still do.
      await audit(m, staff, 'subscription.secret_rotated', sub.id, {
        overlap_seconds: overlapSeconds,
      });
    });
    return { ...(await this.toDto(sub)), secret };
  }

  async deliveries(id: string, limit: number, cursor?: string): Promise<Page<DeliveryDto>> {
    const sub = await this.find(id, true);
    const after = decodeUuidCursor(cursor);
    const rows = await this.dataSource.query<DeliveryRow[]>(
      `SELECT d.id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
              d.last_error, d.created_at, d.delivered_at,
              COALESCE((SELECT jsonb_agg(jsonb_build_object(
                         'attempted_at', bank_sync_iso(a.attempted_at),
                         'response_status', a.response_status, 'latency_ms', a.latency_ms,
                         'error', a.error) ORDER BY a.attempted_at)
                          FROM delivery_attempts a WHERE a.delivery_id = d.id), '[]') AS attempt_log
         FROM webhook_deliveries d JOIN outbox_events e ON e.id = d.event_id
        WHERE d.subscription_id = $1 AND ($2::timestamptz IS NULL OR (d.created_at, d.id) < ($2, $3::uuid))
        ORDER BY d.created_at DESC, d.id DESC LIMIT $4`,
      [sub.id, after ? new Date(after.at) : null, after?.id ?? null, limit + 1],
    );
    return keysetPage(
      rows,
      limit,
      (r) => ({
        id: r.id,
        event_id: r.event_id,
        event_type: r.event_type,
        status: r.status,
        attempts: r.attempts,
        next_attempt_at: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
        last_error: r.last_error,
        created_at: r.created_at.toISOString(),
        delivered_at: r.delivered_at ? r.delivered_at.toISOString() : null,
        attempt_log: r.attempt_log,
      }),
      (r) => ({ at: r.created_at, id: r.id }),
    );
  }

  /** Sends a dead-lettered delivery again, with a fresh retry window. */
  async retryDelivery(id: string, deliveryId: string): Promise<void> {
    const sub = await this.find(id);
    if (!isUuid(deliveryId)) throw notFound('delivery', deliveryId);
    const rows = await returning<{ id: string }>(
      this.dataSource,
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), attempts = 0,
              expires_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE id = $1 AND subscription_id = $2 AND status = 'dead' RETURNING id`,
      [deliveryId, sub.id, this.config.events.maxAgeMs],
    );
    if (rows.length === 0) {
      const found = await this.dataSource.query<unknown[]>(
        `SELECT 1 FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2`,
        [deliveryId, sub.id],
      );
      if (found.length === 0) throw notFound('delivery', deliveryId);
      throw new ProblemException(
        HttpStatus.CONFLICT,
        'not-dead',
        'Only dead-lettered deliveries can be retried',
      );
    }
    this.wakeups.deliveries.notify();
  }

  private async find(id: string, includeDeleted = false): Promise<SubscriptionEntity> {
    const sub = isUuid(id)
      ? await this.dataSource.getRepository(SubscriptionEntity).findOne({ where: { id } })
      : null;
    if (!sub || (sub.deletedAt && !includeDeleted)) throw notFound('subscription', id);
    return sub;
  }

  private async checkUrl(url: string): Promise<void> {
    const problem = await subscriberUrlProblem(url, this.config.events.allowPrivateUrls);
    if (problem) throw validationProblem([{ field: 'url', message: problem }]);
  }

  private async toDto(s: SubscriptionEntity): Promise<SubscriptionDto> {
    const [{ n }] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM subscription_secrets
        WHERE subscription_id = $1 AND (expires_at IS NULL OR expires_at > now())`,
      [s.id],
    );
    return {
      id: s.id,
      url: s.url,
      events: s.events,
      description: s.description,
      enabled: s.enabled,
      active_secrets: n,
      created_at: s.createdAt.toISOString(),
      updated_at: s.updatedAt.toISOString(),
    };
  }
}

function audit(
  m: EntityManager,
  staff: StaffPrincipal,
  action: AuditAction,
  id: string,
  data: Record<string, unknown>,
): Promise<void> {
  return appendAudit(m, [
    {
      actor: { name: staff.name, keyId: staff.keyId },
      action,
      entity: 'subscription',
      entityId: id,
      data,
    },
  ]);
}
