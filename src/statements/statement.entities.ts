import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { BankEntity } from '../banks/bank.entity';
import { TransactionEntity } from '../transactions/transaction.entity';

/** One uploaded file, once per bank and content (the same bytes again get the stored answer). */
@Entity('statement_files')
@Index('uq_statement_files_bank_sha', ['bankId', 'fileSha256'], { unique: true })
@Index('ix_statement_files_bank_created', ['bankId', 'createdAt', 'id'])
export class StatementFileEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'bank_id', type: 'text' })
  bankId!: string;

  @ManyToOne(() => BankEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'bank_id' })
  bank?: BankEntity;

  @Column({ type: 'text' })
  format!: string;

  /** Null while the file is being read (its transaction is open); set before the commit. */
  @Column({ name: 'file_sha256', type: 'bytea', nullable: true })
  fileSha256!: Buffer | null;

  @Column({ name: 'byte_size', type: 'bigint' })
  byteSize!: string;

  /** The 201 answer as sent, for a re-upload of the same file. */
  @Column({ type: 'jsonb', nullable: true })
  answer!: unknown;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;
}

/** One statement of a file (a camt Stmt, an MT940 :20:..:62F:, an OFX STMTRS, a CSV file). */
@Entity('statements')
@Index('ix_statements_file', ['fileId', 'seq'])
@Index('ix_statements_bank_account', ['bankId', 'account', 'periodEnd'])
@Check(
  'ck_statements_balance_check',
  `balance_check IS NULL OR balance_check IN ('ok', 'mismatch')`,
)
export class StatementEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'file_id', type: 'uuid' })
  fileId!: string;

  @ManyToOne(() => StatementFileEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'file_id' })
  file?: StatementFileEntity;

  @Column({ name: 'bank_id', type: 'text' })
  bankId!: string;

  @Column({ type: 'int' })
  seq!: number;

  @Column({ type: 'text', nullable: true })
  account!: string | null;

  @Column({ type: 'character', length: 3, nullable: true })
  currency!: string | null;

  @Column({ name: 'period_start', type: 'date', nullable: true })
  periodStart!: string | null;

  @Column({ name: 'period_end', type: 'date', nullable: true })
  periodEnd!: string | null;

  @Column({ name: 'opening_balance', type: 'numeric', precision: 20, scale: 4, nullable: true })
  openingBalance!: string | null;

  @Column({ name: 'closing_balance', type: 'numeric', precision: 20, scale: 4, nullable: true })
  closingBalance!: string | null;

  @Column({ name: 'entries_count', type: 'int', default: 0 })
  entriesCount!: number;

  @Column({ name: 'new_count', type: 'int', default: 0 })
  newCount!: number;

  @Column({ name: 'known_count', type: 'int', default: 0 })
  knownCount!: number;

  @Column({ name: 'balance_check', type: 'text', nullable: true })
  balanceCheck!: string | null;

  @Column({
    name: 'gap_expected_opening',
    type: 'numeric',
    precision: 20,
    scale: 4,
    nullable: true,
  })
  gapExpectedOpening!: string | null;

  @Column({ name: 'gap_previous_statement_id', type: 'uuid', nullable: true })
  gapPreviousStatementId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;
}

/** One entry of a statement, and what it became: a new transaction or a known one. */
@Entity('statement_entries')
@Index('ix_statement_entries_statement', ['statementId', 'seq'])
@Index('ix_statement_entries_bank_day', ['bankId', 'bookingDate'])
@Index('ix_statement_entries_transaction', ['transactionId'])
@Check('ck_statement_entries_direction', `direction IN ('credit', 'debit')`)
@Check('ck_statement_entries_outcome', `outcome IS NULL OR outcome IN ('new', 'known')`)
export class StatementEntryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'statement_id', type: 'uuid' })
  statementId!: string;

  @ManyToOne(() => StatementEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'statement_id' })
  statement?: StatementEntity;

  @Column({ name: 'bank_id', type: 'text' })
  bankId!: string;

  @Column({ type: 'int' })
  seq!: number;

  @Column({ type: 'text', nullable: true })
  account!: string | null;

  @Column({ name: 'booking_date', type: 'date' })
  bookingDate!: string;

  @Column({ type: 'numeric', precision: 20, scale: 4 })
  amount!: string;

  @Column({ type: 'character', length: 3 })
  currency!: string;

  @Column({ type: 'text' })
  direction!: string;

  @Column({ type: 'boolean', default: false })
  reversal!: boolean;

  @Column({ name: 'bank_ref', type: 'text', nullable: true })
  bankRef!: string | null;

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  counterparty!: string | null;

  @Column({ name: 'counterparty_account', type: 'text', nullable: true })
  counterpartyAccount!: string | null;

  /** Where in the file it is ("Ntry 3 (line 40)", "line 12"). */
  @Column({ type: 'text' })
  location!: string;

  /** The transaction's external id: the bank's id, else "fp:" + the entry's fingerprint. */
  @Column({ name: 'external_id', type: 'text' })
  externalId!: string;

  @Column({ type: 'text', nullable: true })
  outcome!: string | null;

  @Column({ name: 'transaction_id', type: 'uuid', nullable: true })
  transactionId!: string | null;

  @ManyToOne(() => TransactionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'transaction_id' })
  transaction?: TransactionEntity;
}

/** A bank's saved CSV mapping (PUT /banks/{id}/csv-mapping). */
@Entity('bank_csv_mappings')
export class BankCsvMappingEntity {
  @Column({ name: 'bank_id', type: 'text', primary: true })
  bankId!: string;

  @ManyToOne(() => BankEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bank_id' })
  bank?: BankEntity;

  @Column({ type: 'jsonb' })
  mapping!: unknown;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt!: Date;
}

export const STATEMENT_ENTITIES = [
  StatementFileEntity,
  StatementEntity,
  StatementEntryEntity,
  BankCsvMappingEntity,
];
