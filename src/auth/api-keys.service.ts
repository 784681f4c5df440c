import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { timingSafeEqual } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
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

  async create(name: string, role: Role): Promise<ApiKeyCreatedDto> {
    const key = newApiKey();
    const saved = await this.keys.save(this.keys.create({ name, role, keyHash: hashApiKey(key) }));
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
  async revoke(id: string): Promise<void> {
    const result = await this.keys.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!result.affected) throw notFound('API key', id);
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
