import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { appendAudit } from '../audit/audit-log';
import type { StaffPrincipal } from '../auth/api-keys.service';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { decodeCursor, keysetPage, type Page } from '../common/pagination';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { BankEntity, BankSecretEntity, type ApiKind } from './bank.entity';
import { BANK_ID, type BankDto, type CreateBankDto, type UpdateBankDto } from './banks.dto';
import { validateSecret, type SignatureConfig } from './signature/signature-schemes';

export const DEFAULT_BANK_ID = 'default';

/** What intake and processing need of a bank, cached so the webhook path does not query it. */
export interface ResolvedBank {
  id: string;
  signature: SignatureConfig;
  api: { kind: ApiKind; baseUrl: string; token: string } | null;
}

// Banks change rarely; a short TTL bounds how long another instance keeps a rotated-out secret.
const CACHE_TTL_MS = 5_000;

@Injectable()
export class BanksService {
  private readonly cache = new Map<
    string,
    { at: number; bank: Promise<ResolvedBank | null>; value?: ResolvedBank | null }
  >();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The bank for a delivery or a job; null when no such bank exists. */
  resolve(id: string): Promise<ResolvedBank | null> {
    if (!BANK_ID.test(id)) return Promise.resolve(null);
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < CACHE_TTL_MS) return hit.bank;
    const entry: { at: number; bank: Promise<ResolvedBank | null>; value?: ResolvedBank | null } = {
      at: now,
      bank: this.load(id).then(
        (value) => (entry.value = value),
        (err: unknown) => {
          this.cache.delete(id);
          throw err;
        },
      ),
    };
    if (this.cache.size > 10_000) this.cache.clear(); // unknown ids must not grow it forever
    this.cache.set(id, entry);
    return entry.bank;
  }

  /**
   * The bank if it is cached and fresh, without waiting (the webhook path: no promise per
   * delivery); undefined when it must be loaded with `resolve`.
   */
  cached(id: string): ResolvedBank | null | undefined {
    const hit = this.cache.get(id);
    return hit && Date.now() - hit.at < CACHE_TTL_MS ? hit.value : undefined;
  }

  async create(dto: CreateBankDto, staff: StaffPrincipal): Promise<BankDto> {
    checkHeaderNames(dto.signature_scheme, dto);
    this.checkSecrets(dto.signature_scheme, dto.secrets);
    await this.dataSource.transaction(async (em) => {
      const inserted = await em
        .createQueryBuilder()
        .insert()
        .into(BankEntity)
        .values({
          id: dto.id,
          name: dto.name,
          signatureScheme: dto.signature_scheme,
          eventIdHeader: dto.event_id_header ?? 'X-Event-Id',
          signatureHeader: dto.signature_header ?? 'X-Signature',
          apiKind: dto.api?.kind ?? null,
          apiBaseUrl: dto.api ? normalizeBaseUrl(dto.api.base_url) : null,
          apiToken: dto.api?.token ?? null,
        })
        .orIgnore()
        .execute();
      if ((inserted.raw as unknown[]).length === 0) {
        throw new ProblemException(HttpStatus.CONFLICT, 'bank-exists', `bank ${dto.id} exists`);
      }
      await em.insert(
        BankSecretEntity,
        dto.secrets.map((secret) => ({ bankId: dto.id, secret })),
      );
      // Never a secret or a token: how many secrets, and where the API is.
      await appendAudit(em, [
        {
          actor: { name: staff.name, keyId: staff.keyId },
          action: 'bank.created',
          entity: 'bank',
          entityId: dto.id,
          data: {
            name: dto.name,
            signature_scheme: dto.signature_scheme,
            event_id_header: dto.event_id_header ?? null,
            signature_header: dto.signature_header ?? null,
            api: dto.api
              ? { kind: dto.api.kind, base_url: normalizeBaseUrl(dto.api.base_url) }
              : null,
            secrets_count: dto.secrets.length,
          },
        },
      ]);
    });
    this.cache.delete(dto.id);
    return this.get(dto.id);
  }

  async update(id: string, dto: UpdateBankDto, staff: StaffPrincipal): Promise<BankDto> {
    if (!BANK_ID.test(id)) throw notFound('bank', id);
    await this.dataSource.transaction(async (em) => {
      const bank = await em.findOne(BankEntity, {
        where: { id },
        lock: { mode: 'pessimistic_write' },
      });
      if (!bank) throw notFound('bank', id);
      checkHeaderNames(bank.signatureScheme, dto);
      if (dto.name !== undefined) bank.name = dto.name;
      if (dto.event_id_header !== undefined) bank.eventIdHeader = dto.event_id_header;
      if (dto.signature_header !== undefined) bank.signatureHeader = dto.signature_header;
      if (dto.api === null) {
        bank.apiKind = bank.apiBaseUrl = bank.apiToken = null;
      } else if (dto.api !== undefined) {
        bank.apiKind = dto.api.kind;
        bank.apiBaseUrl = normalizeBaseUrl(dto.api.base_url);
        bank.apiToken = dto.api.token;
      }
      await em.save(bank);
      if (dto.secrets) await this.replaceSecrets(em, bank, dto.secrets);
      await appendAudit(em, [
        {
          actor: { name: staff.name, keyId: staff.keyId },
          action: 'bank.updated',
          entity: 'bank',
          entityId: id,
          data: bankChanges(dto),
        },
      ]);
    });
    this.cache.delete(id);
    return this.get(id);
  }

  async get(id: string): Promise<BankDto> {
    if (!BANK_ID.test(id)) throw notFound('bank', id);
    const bank = await this.dataSource.getRepository(BankEntity).findOne({ where: { id } });
    if (!bank) throw notFound('bank', id);
    return this.toDto(bank, await this.activeSecrets(this.dataSource.manager, [id]));
  }

  async list(limit: number, cursor?: string): Promise<Page<BankDto>> {
    const after = cursor ? decodeCursor(cursor) : null;
    const qb = this.dataSource
      .getRepository(BankEntity)
      .createQueryBuilder('b')
      .orderBy('b.created_at', 'ASC')
      .addOrderBy('b.id', 'ASC')
      .take(limit + 1);
    if (after) qb.where('(b.created_at, b.id) > (:at, :id)', after);
    const rows = await qb.getMany();
    const page = rows.slice(0, limit);
    const secrets = await this.activeSecrets(
      this.dataSource.manager,
      page.map((b) => b.id),
    );
    return keysetPage(
      rows,
      limit,
      (b) => this.toDto(b, secrets),
      (b) => ({ at: b.createdAt, id: b.id }),
    );
  }

  private async load(id: string): Promise<ResolvedBank | null> {
    const bank = await this.dataSource.getRepository(BankEntity).findOne({ where: { id } });
    if (!bank) return null;
    const stored = (await this.activeSecrets(this.dataSource.manager, [id])).get(id) ?? [];
    const secrets = stored.map((s) => s.secret);
    if (id === DEFAULT_BANK_ID && this.config.webhookSecret)
      secrets.unshift(this.config.webhookSecret);
    return {
      id,
      signature: {
        scheme: bank.signatureScheme,
        secrets: Object.freeze(secrets),
        eventIdHeader: bank.eventIdHeader.toLowerCase(),
        signatureHeader: bank.signatureHeader.toLowerCase(),
      },
      api:
        bank.apiKind && bank.apiBaseUrl && bank.apiToken
          ? { kind: bank.apiKind, baseUrl: bank.apiBaseUrl, token: bank.apiToken }
          : null,
    };
  }

  private checkSecrets(scheme: BankEntity['signatureScheme'], secrets: string[]): void {
    const errors = secrets.flatMap((secret, i) => {
      const message = validateSecret(scheme, secret);
      return message ? [{ field: `secrets.${i}`, message }] : [];
    });
    if (errors.length) throw validationProblem(errors, 'A secret is not usable for this scheme');
  }

  private async replaceSecrets(
    em: EntityManager,
    bank: BankEntity,
    wanted: string[],
  ): Promise<void> {
    this.checkSecrets(bank.signatureScheme, wanted);
    const active = (await this.activeSecrets(em, [bank.id])).get(bank.id) ?? [];
    const keep = new Set(wanted);
    const revoke = active.filter((s) => !keep.has(s.secret)).map((s) => s.id);
    if (revoke.length) await em.update(BankSecretEntity, revoke, { revokedAt: new Date() });
    const have = new Set(active.map((s) => s.secret));
    const added = [...keep].filter((s) => !have.has(s));
    if (added.length) {
      await em.insert(
        BankSecretEntity,
        added.map((secret) => ({ bankId: bank.id, secret })),
      );
    }
  }

  private async activeSecrets(
    em: EntityManager,
    bankIds: string[],
  ): Promise<Map<string, BankSecretEntity[]>> {
    const byBank = new Map<string, BankSecretEntity[]>();
    if (bankIds.length === 0) return byBank;
    const rows = await em.find(BankSecretEntity, {
      where: bankIds.map((bankId) => ({ bankId, revokedAt: IsNull() })),
      order: { createdAt: 'ASC' },
    });
    for (const row of rows) byBank.set(row.bankId, [...(byBank.get(row.bankId) ?? []), row]);
    return byBank;
  }

  private toDto(bank: BankEntity, secrets: Map<string, BankSecretEntity[]>): BankDto {
    const added: Array<string | null> = (secrets.get(bank.id) ?? []).map((s) =>
      s.createdAt.toISOString(),
    );
    if (bank.id === DEFAULT_BANK_ID && this.config.webhookSecret) added.unshift(null);
    return {
      id: bank.id,
      name: bank.name,
      signature_scheme: bank.signatureScheme,
      // Only hmac-sha256 reads them; the other schemes' headers are fixed (or the body's).
      event_id_header: bank.signatureScheme === 'hmac-sha256' ? bank.eventIdHeader : null,
      signature_header: bank.signatureScheme === 'hmac-sha256' ? bank.signatureHeader : null,
      secrets: { active_count: added.length, added_at: added },
      api:
        bank.apiKind && bank.apiBaseUrl
          ? { kind: bank.apiKind, base_url: bank.apiBaseUrl, has_token: Boolean(bank.apiToken) }
          : null,
      created_at: bank.createdAt.toISOString(),
      updated_at: bank.updatedAt.toISOString(),
    };
  }
}

/**
 * Header names are an hmac-sha256 setting: for another scheme they would be stored and shown
 * while nothing reads them, so they are refused rather than silently ignored.
 */
function checkHeaderNames(
  scheme: BankEntity['signatureScheme'],
  dto: { event_id_header?: string; signature_header?: string },
): void {
  if (scheme === 'hmac-sha256') return;
  const errors = (['event_id_header', 'signature_header'] as const)
    .filter((field) => dto[field] !== undefined)
    .map((field) => ({
      field,
      message: `${field} applies to hmac-sha256 banks only; ${scheme} headers are fixed`,
    }));
  if (errors.length) throw validationProblem(errors, 'Header names do not apply to this scheme');
}

/** One canonical form (no trailing slash) so "inside base_url" checks are simple prefix checks. */
export function normalizeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // class-validator's isURL accepts a few that WHATWG URL refuses (http://0x100000000).
    throw validationProblem([{ field: 'api.base_url', message: 'api.base_url must be a URL' }]);
  }
  parsed.hash = '';
  parsed.search = '';
  return parsed.toString().replace(/\/+$/, '');
}

/** What a PATCH changed, for the audit log: new values, but of secrets and tokens only that. */
function bankChanges(dto: UpdateBankDto): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (dto.name !== undefined) changes.name = dto.name;
  if (dto.event_id_header !== undefined) changes.event_id_header = dto.event_id_header;
  if (dto.signature_header !== undefined) changes.signature_header = dto.signature_header;
  if (dto.api === null) changes.api = null;
  else if (dto.api !== undefined) {
    changes.api = {
      kind: dto.api.kind,
      base_url: normalizeBaseUrl(dto.api.base_url),
      token_replaced: true,
    };
  }
  if (dto.secrets) changes.secrets_count = dto.secrets.length;
  return changes;
}
