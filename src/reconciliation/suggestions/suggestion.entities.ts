import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { InvoiceEntity } from '../../invoices/invoice.entity';
import { TransactionEntity } from '../../transactions/transaction.entity';
import { TransactionMatchEntity } from '../transaction-match.entity';
import { WRITE_OFF_REASONS, type WriteOffReason } from './write-off';

const reasonList = WRITE_OFF_REASONS.map((r) => `'${r}'`).join(', ');

/** An operator's tolerance: shortfalls up to `max_amount` (and `max_percent`) are written off. */
@Entity('write_off_rules')
@Index('ix_write_off_rules_live', ['currency'], { where: 'deleted_at IS NULL' })
@Check('ck_write_off_rules_reason', `reason IN (${reasonList})`)
@Check('ck_write_off_rules_max_amount', `max_amount > 0`)
@Check(
  'ck_write_off_rules_max_percent',
  `max_percent IS NULL OR (max_percent > 0 AND max_percent <= 100)`,
)
export class WriteOffRuleEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'max_amount', type: 'numeric', precision: 20, scale: 4 })
  maxAmount!: string;

  @Column({ name: 'max_percent', type: 'numeric', precision: 7, scale: 4, nullable: true })
  maxPercent!: string | null;

  @Column({ type: 'text' })
  reason!: WriteOffReason;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  /** Deleted rules are kept: the write-offs they made still name them. */
  @Column({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true })
  deletedAt!: Date | null;

  @Column({ name: 'deleted_by', type: 'text', nullable: true })
  deletedBy!: string | null;
}

/** The difference an allocation wrote off on its invoice; reversed with the allocation. */
@Entity('write_offs')
@Index('ix_write_offs_invoice', ['invoiceId'])
@Check('ck_write_offs_amount', `amount > 0`)
@Check('ck_write_offs_reason', `reason IN (${reasonList})`)
export class WriteOffEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  /** One write-off per allocation at most. */
  @Column({ name: 'match_id', type: 'uuid', unique: true })
  matchId!: string;

  @ManyToOne(() => TransactionMatchEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'match_id' })
  match?: TransactionMatchEntity;

  @Column({ name: 'invoice_id', type: 'uuid' })
  invoiceId!: string;

  @ManyToOne(() => InvoiceEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'invoice_id' })
  invoice?: InvoiceEntity;

  @Column({ type: 'numeric', precision: 20, scale: 4 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'text' })
  reason!: WriteOffReason;

  @Column({ name: 'rule_id', type: 'uuid', nullable: true })
  ruleId!: string | null;

  @ManyToOne(() => WriteOffRuleEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'rule_id' })
  rule?: WriteOffRuleEntity;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'reversed_at', type: 'timestamptz', precision: 3, nullable: true })
  reversedAt!: Date | null;
}

/**
 * A candidate allocation for an exception, with its evidence, as last computed. The id is derived
 * from what it proposes (`suggestionId`), so an unchanged candidate keeps its id over refreshes and
 * a changed one gets a new id; replaced ones are marked `superseded_at` (accepting one is a 409).
 */
@Entity('suggestions')
@Index('ix_suggestions_transaction', ['transactionId', 'rank'], { where: 'superseded_at IS NULL' })
@Index('ix_suggestions_invoice_ids', { synchronize: false })
export class SuggestionEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'transaction_id', type: 'uuid' })
  transactionId!: string;

  @ManyToOne(() => TransactionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'transaction_id' })
  transaction?: TransactionEntity;

  /** `candidateKey`: what a decline remembers. */
  @Column({ type: 'text' })
  key!: string;

  @Column({ type: 'smallint' })
  rank!: number;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'numeric', precision: 4, scale: 3 })
  score!: string;

  /** [{invoice_id, invoice_number, amount}] */
  @Column({ type: 'jsonb' })
  invoices!: unknown;

  /** For the GIN index: which invoices' money makes this stale. */
  @Column({ name: 'invoice_ids', type: 'uuid', array: true })
  invoiceIds!: string[];

  @Column({ name: 'write_off', type: 'jsonb', nullable: true })
  writeOff!: unknown;

  @Column({ name: 'reversal_of', type: 'uuid', nullable: true })
  reversalOf!: string | null;

  @Column({ type: 'jsonb' })
  evidence!: unknown;

  /** What it was computed from: the transaction's unallocated amount. */
  @Column({ name: 'basis_unallocated', type: 'numeric', precision: 20, scale: 4 })
  basisUnallocated!: string;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'superseded_at', type: 'timestamptz', precision: 3, nullable: true })
  supersededAt!: Date | null;
}

/** A candidate a person declined: never proposed again for that transaction. */
@Entity('suggestion_declines')
export class SuggestionDeclineEntity {
  @PrimaryColumn({ name: 'transaction_id', type: 'uuid' })
  transactionId!: string;

  @ManyToOne(() => TransactionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'transaction_id' })
  transaction?: TransactionEntity;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'declined_by', type: 'text' })
  declinedBy!: string;

  @Column({ name: 'declined_by_key_id', type: 'uuid', nullable: true })
  declinedByKeyId!: string | null;

  @Column({ name: 'declined_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  declinedAt!: Date;
}

/**
 * Accounts that paid a customer in a confirmed match (a person's allocation, an accepted
 * suggestion, or an exact reference): a later payment from that account is the same party.
 */
@Entity('party_accounts')
@Index('ix_party_accounts_account', ['account'])
export class PartyAccountEntity {
  @PrimaryColumn({ name: 'customer_key', type: 'text' })
  customerKey!: string;

  @PrimaryColumn({ type: 'text' })
  account!: string;

  @Column({ name: 'confirmed_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  confirmedAt!: Date;
}

/** The near-reference lookup keys of invoice numbers (`deletionKeys`). */
@Entity('invoice_near_keys')
export class InvoiceNearKeyEntity {
  @PrimaryColumn({ type: 'text' })
  key!: string;

  @PrimaryColumn({ name: 'invoice_id', type: 'uuid' })
  invoiceId!: string;

  @ManyToOne(() => InvoiceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'invoice_id' })
  invoice?: InvoiceEntity;
}

export const SUGGESTION_ENTITIES = [
  WriteOffRuleEntity,
  WriteOffEntity,
  SuggestionEntity,
  SuggestionDeclineEntity,
  PartyAccountEntity,
  InvoiceNearKeyEntity,
];
