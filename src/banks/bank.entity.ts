import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { secretColumn } from '../common/secret-box';
import type { SignatureScheme } from './signature/signature-schemes';

export const API_KINDS = ['standard', 'up'] as const;
export type ApiKind = (typeof API_KINDS)[number];

@Entity('banks')
@Check('ck_banks_scheme', `signature_scheme IN ('hmac-sha256', 'standard-webhooks', 'up')`)
@Check('ck_banks_api_kind', `api_kind IS NULL OR api_kind IN ('standard', 'up')`)
@Check('ck_banks_id', `id ~ '^[a-z0-9][a-z0-9-]{0,62}$'`)
export class BankEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'signature_scheme', type: 'text' })
  signatureScheme!: SignatureScheme;

  @Column({ name: 'event_id_header', type: 'text', default: 'X-Event-Id' })
  eventIdHeader!: string;

  @Column({ name: 'signature_header', type: 'text', default: 'X-Signature' })
  signatureHeader!: string;

  @Column({ name: 'api_kind', type: 'text', nullable: true })
  apiKind!: ApiKind | null;

  @Column({ name: 'api_base_url', type: 'text', nullable: true })
  apiBaseUrl!: string | null;

  @Column({ name: 'api_token', type: 'text', nullable: true, transformer: secretColumn })
  apiToken!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @OneToMany(() => BankSecretEntity, (s) => s.bank)
  secrets?: BankSecretEntity[];
}

/**
 * A bank's signing secret. HMAC needs the secret itself, so it cannot be hashed; it is
 * write-only in the API and never logged. Rotation revokes (revoked_at), never deletes.
 */
@Entity('bank_secrets')
@Index('ix_bank_secrets_active', ['bankId'], { where: 'revoked_at IS NULL' })
export class BankSecretEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'bank_id', type: 'text' })
  bankId!: string;

  @ManyToOne(() => BankEntity, (b) => b.secrets, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bank_id' })
  bank?: BankEntity;

  @Column({ type: 'text', transformer: secretColumn })
  secret!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;
}
