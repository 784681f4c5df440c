import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { timingSafeEqual } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import { returning } from '../database/sql';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { decodeUuidCursor, keysetPage, type Page } from '../common/pagination';
import { notFound } from '../common/problem';
import { ApiKeyEntity, Role } from './api-key.entity';
import { hashApiKey, newApiKey } from './api-key.crypto';
import { ApiKeyCreatedDto, ApiKeyDto } from './api-keys.dto';

export interface StaffPrincipal {
  keyId: string | null;
  name: string;
  role: Role;
}

// last_used_at is informative; writing it on every request would turn reads into writes.
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiKeysService {
  private readonly bootstrapHash: Buffer | null;

  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.bootstrapHash = config.adminApiKey ? hashApiKey(config.adminApiKey) : null;
  }

  async create(name: string, role: Role, staff: StaffPrincipal): Promise<ApiKeyCreatedDto> {
    const key = newApiKey();
    const saved = await this.keys.manager.transaction(async (m) => {
      const row = await m.save(this.keys.create({ name, role, keyHash: hashApiKey(key) }));
      await appendAudit(m, [
        {
          actor: { name: staff.name, keyId: staff.keyId },
          action: 'api_key.created',
          entity: 'api_key',
          entityId: row.id,
          data: { name, role },
        },
      ]);
      return row;
    });
    return { ...toDto(saved), key };
  }

  async list(limit: number, cursor?: string): Promise<Page<ApiKeyDto>> {
    const after = decodeUuidCursor(cursor);
    const qb = this.keys
      .createQueryBuilder('k')
      .where('k.revoked_at IS NULL')
      .orderBy('k.created_at', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .take(limit + 1);
    if (after) {
      qb.andWhere('(k.created_at, k.id) > (:at, :id)', { at: after.at, id: after.id });
    }
    return keysetPage(await qb.getMany(), limit, toDto, (k) => ({ at: k.createdAt, id: k.id }));
  }

  /** Revokes (never deletes, so the audit trail can still name the key). */
  async revoke(id: string, staff: StaffPrincipal): Promise<void> {
    await this.keys.manager.transaction(async (m) => {
      const [revoked] = await returning<{ name: string; role: Role }>(
        m,
        `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
         RETURNING name, role`,
        [id],
      );
      if (!revoked) throw notFound('API key', id);
      await appendAudit(m, [
        {
          actor: { name: staff.name, keyId: staff.keyId },
          action: 'api_key.revoked',
          entity: 'api_key',
          entityId: id,
          data: { name: revoked.name, role: revoked.role },
        },
      ]);
    });
  }

  /** The staff member a presented key belongs to, or null. */
  async authenticate(presented: string): Promise<StaffPrincipal | null> {
    const hash = hashApiKey(presented);
    if (this.bootstrapHash && timingSafeEqual(hash, this.bootstrapHash)) {
      return { keyId: null, name: 'ADMIN_API_KEY', role: 'admin' };
    }
    // Looked up by its SHA-256: equality on a hash of a secret leaks nothing useful in timing.
    const key = await this.keys.findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    if (!key) return null;
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.keys.update({ id: key.id }, { lastUsedAt: new Date(now) });
    }
    return { keyId: key.id, name: key.name, role: key.role };
  }
}

function toDto(k: ApiKeyEntity): ApiKeyDto {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
  };
}
