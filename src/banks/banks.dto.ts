import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { SIGNATURE_SCHEMES, type SignatureScheme } from './signature/signature-schemes';
import { BANK_ID } from '../common/bank-id';
import { IsOmittable } from '../common/optional';
import { SEALED_PREFIX } from '../common/secret-box';
import { API_KINDS, type ApiKind } from './bank.entity';

/** A bank id: a slug. Anything else names no bank, and is never looked up. */
export { BANK_ID };

const HEADER_NAME = /^[A-Za-z0-9-]{1,100}$/;

export class BankApiDto {
  @ApiProperty({ enum: API_KINDS, example: 'standard' })
  @IsIn(API_KINDS)
  kind!: ApiKind;

  @ApiProperty({ example: 'https://api.acme.example' })
  // No credentials in the URL: they would be echoed in error messages (runs, events, logs).
  @IsUrl({
    require_tld: false,
    require_protocol: true,
    protocols: ['http', 'https'],
    disallow_auth: true,
  })
  base_url!: string;

  @ApiProperty({ description: 'Bearer token for the bank API (write-only)', example: 'tok_...' })
  @IsString()
  @Length(1, 4000)
  // One header value: visible ASCII (a line break made fetch's error quote the token, and that
  // error went into run records, events and logs). Stored values with the prefix are read as
  // encrypted (SecretBox).
  @Matches(new RegExp(`^(?!${SEALED_PREFIX})[\\x21-\\x7e]+$`), {
    message: `token must be visible ASCII without spaces or line breaks, not starting with '${SEALED_PREFIX}'`,
  })
  token!: string;
}

export class CreateBankDto {
  @ApiProperty({ example: 'acme', description: 'Slug: lower-case letters, digits, dashes' })
  @Matches(BANK_ID, { message: 'id must be a slug like "acme-bank"' })
  // /webhooks/bank/transactions is the default bank's route: a bank "bank" could never be reached.
  @Matches(/^(?!bank$)/, { message: 'id "bank" is reserved (/webhooks/bank/transactions)' })
  id!: string;

  @ApiProperty({ example: 'Acme Bank' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: SIGNATURE_SCHEMES, example: 'hmac-sha256' })
  @IsIn(SIGNATURE_SCHEMES)
  signature_scheme!: SignatureScheme;

  @ApiProperty({ type: [String], example: ['s3cret-s3cret'], description: 'Write-only' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsString({ each: true })
  secrets!: string[];

  @ApiPropertyOptional({ example: 'X-Event-Id', description: 'hmac-sha256 only' })
  @IsOptional()
  @Matches(HEADER_NAME, { message: 'event_id_header must be an HTTP header name' })
  event_id_header?: string;

  @ApiPropertyOptional({ example: 'X-Signature', description: 'hmac-sha256 only' })
  @IsOptional()
  @Matches(HEADER_NAME, { message: 'signature_header must be an HTTP header name' })
  signature_header?: string;

  @ApiPropertyOptional({ type: BankApiDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => BankApiDto)
  api?: BankApiDto;
}

/**
 * The request examples of `POST /banks`, one per signature scheme (an e2e test posts each and
 * expects 201, and fails when a scheme has none).
 */
export const CREATE_BANK_EXAMPLES: Record<SignatureScheme, { summary: string; value: object }> = {
  'hmac-sha256': {
    summary: 'hmac-sha256: hex HMAC in a header, with a standard pull API',
    value: {
      id: 'acme',
      name: 'Acme Bank',
      signature_scheme: 'hmac-sha256',
      secrets: ['s3cret-s3cret'],
      event_id_header: 'X-Event-Id',
      signature_header: 'X-Signature',
      api: { kind: 'standard', base_url: 'https://api.acme.example', token: 'tok_acme_0123' },
    },
  },
  'standard-webhooks': {
    summary: 'standard-webhooks (Svix): the secret is whsec_ and base64',
    value: {
      id: 'globex',
      name: 'Globex Bank',
      signature_scheme: 'standard-webhooks',
      secrets: ['whsec_H466qsJe2TvTdsoSJpTiZdyWfqeun29e6rdR8g0spNs='],
    },
  },
  up: {
    summary: "up: Up Bank's webhook secret and a personal access token for its API",
    value: {
      id: 'up',
      name: 'Up Bank',
      signature_scheme: 'up',
      secrets: ['up-webhook-secret-key'],
      api: { kind: 'up', base_url: 'https://api.up.com.au/api/v1', token: 'up:yeah:0123456789' },
    },
  },
};

export class UpdateBankDto {
  @ApiPropertyOptional({ example: 'Acme Bank plc' })
  @IsOmittable()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({
    type: [String],
    description:
      'The new set of active secrets (write-only). Secrets already active keep their added time; ' +
      'active secrets left out are revoked. Rotate by sending [old, new], later [new].',
  })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @IsString({ each: true })
  secrets?: string[];

  @ApiPropertyOptional({ description: 'hmac-sha256 only' })
  @IsOmittable()
  @Matches(HEADER_NAME, { message: 'event_id_header must be an HTTP header name' })
  event_id_header?: string;

  @ApiPropertyOptional({ description: 'hmac-sha256 only' })
  @IsOmittable()
  @Matches(HEADER_NAME, { message: 'signature_header must be an HTTP header name' })
  signature_header?: string;

  @ApiPropertyOptional({ type: BankApiDto, nullable: true, description: 'null removes the API' })
  @IsOptional()
  @ValidateNested()
  @Type(() => BankApiDto)
  api?: BankApiDto | null;
}

export class BankSecretsSummaryDto {
  @ApiProperty({ example: 2 }) active_count!: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'date-time', nullable: true },
    description: 'When each active secret was added (null: from WEBHOOK_SECRET)',
    example: ['2026-02-27T12:00:00.000Z'],
  })
  added_at!: Array<string | null>;
}

export class BankApiSummaryDto {
  @ApiProperty({ enum: API_KINDS }) kind!: ApiKind;
  @ApiProperty() base_url!: string;
  @ApiProperty({ description: 'A token is set (it is never shown)' }) has_token!: boolean;
}

export class BankDto {
  @ApiProperty({ example: 'acme' }) id!: string;
  @ApiProperty({ example: 'Acme Bank' }) name!: string;
  @ApiProperty({ enum: SIGNATURE_SCHEMES }) signature_scheme!: SignatureScheme;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'X-Event-Id',
    description: 'hmac-sha256 only; null for schemes whose headers are fixed',
  })
  event_id_header!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'X-Signature',
    description: 'hmac-sha256 only; null for schemes whose headers are fixed',
  })
  signature_header!: string | null;
  @ApiProperty({ type: BankSecretsSummaryDto }) secrets!: BankSecretsSummaryDto;
  @ApiProperty({ type: BankApiSummaryDto, nullable: true }) api!: BankApiSummaryDto | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class BankListDto {
  @ApiProperty({ type: [BankDto] }) data!: BankDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}
