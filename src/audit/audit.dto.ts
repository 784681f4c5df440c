import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { ExportFormatQuery } from '../common/export';
import { PageQuery } from '../common/pagination';
import { AUDIT_ACTIONS, AUDIT_ENTITIES, type AuditAction, type AuditEntity } from './audit-log';

/** The filters of the audit list, shared by its export. */
export class AuditFilters {
  @ApiPropertyOptional({ enum: AUDIT_ENTITIES })
  @IsOptional()
  @IsIn(AUDIT_ENTITIES)
  entity?: AuditEntity;

  @ApiPropertyOptional({ description: 'The id of the entity (an allocation id, a bank id, …)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  entity_id?: string;

  @ApiPropertyOptional({ description: 'A staff key name, or `system`', example: 'alice' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ description: '`at >= from` (ISO 8601)', example: '2026-02-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: '`at < to` (ISO 8601)', example: '2026-03-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AuditListQuery extends IntersectionType(PageQuery, AuditFilters) {}

export class AuditExportQuery extends IntersectionType(ExportFormatQuery, AuditFilters) {}

export class AuditEntryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      'Place in the hash chain, from 1; null for a few hundred milliseconds after the change ' +
      'commits, until the chainer links it',
  })
  seq!: number | null;
  @ApiProperty({ format: 'date-time', description: 'When the change was made' }) at!: string;
  @ApiProperty({ description: 'The staff key name, or `system` (rules, the bank)' })
  actor!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for system' })
  actor_key_id!: string | null;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action!: string;
  @ApiProperty({ enum: AUDIT_ENTITIES }) entity!: string;
  @ApiProperty() entity_id!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'What changed, in the API terms: amounts as decimal strings, never a secret. Automatic ' +
      'allocations carry their `rule` (and a suggestion its `score`).',
    example: {
      transaction_id: '5f0c…',
      invoice_id: '9a1e…',
      amount: '5000.00',
      currency: 'NGN',
      rule: 'single',
    },
  })
  data!: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true, description: 'hash of seq - 1 (64 zeros for 1)' })
  prev_hash!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'hex SHA-256 of prev_hash followed by the RFC 8785 canonical JSON of ' +
      '{ id, seq, at, actor, actor_key_id, action, entity, entity_id, data }',
  })
  hash!: string | null;
}

export class AuditListDto {
  @ApiProperty({ type: [AuditEntryDto] }) data!: AuditEntryDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class AuditVerifyDto {
  @ApiProperty({ description: 'Every chained entry checks out' }) ok!: boolean;
  @ApiProperty({ type: 'integer', description: 'Chained entries read' }) entries!: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'The first seq missing, out of order, or whose hash does not check; null if ok',
  })
  first_bad_seq!: number | null;
}
