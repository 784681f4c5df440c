import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import type { ExceptionReason } from './matcher';
import { ALLOCATION_RULES, type AllocationRule } from './transaction-match.entity';
import { EXCEPTION_REASONS } from './transaction-exception.entity';
import {
  RUN_STATUSES,
  RUN_TRIGGERS,
  type RunStatus,
  type RunTrigger,
} from './reconciliation-run.entity';

export class RunBankDto {
  @ApiProperty() bank_id!: string;
  @ApiProperty() pulled_count!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

export class RunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: RUN_TRIGGERS }) trigger!: RunTrigger;
  @ApiProperty({ enum: RUN_STATUSES }) status!: RunStatus;
  @ApiProperty({ type: String, nullable: true, description: 'Staff key name, or null (cron)' })
  started_by!: string | null;
  @ApiProperty({ format: 'date-time' }) started_at!: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) finished_at!: string | null;
  @ApiProperty({ description: 'Transactions pulled from bank APIs before matching' })
  pulled_count!: number;
  @ApiProperty({ description: 'Transactions that got at least one allocation in this run' })
  matched_count!: number;
  @ApiProperty({ description: 'Transactions examined that got no allocation (exceptions)' })
  unmatched_count!: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'uuid' },
    description: 'At most 1000',
  })
  matched_transaction_ids!: string[];
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'uuid' },
    description: 'At most 1000',
  })
  unmatched_transaction_ids!: string[];
  @ApiProperty({ description: 'True when an id list was capped at 1000' })
  ids_truncated!: boolean;
  @ApiProperty({ type: [RunBankDto] }) banks!: RunBankDto[];
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

export class RunListDto {
  @ApiProperty({ type: [RunDto] }) data!: RunDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class MatchDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) transaction_id!: string;
  @ApiProperty({ format: 'uuid' }) invoice_id!: string;
  @ApiProperty({ example: 'INV-001' }) invoice_number!: string;
  @ApiProperty({ example: '5000.00' }) amount!: string;
  @ApiProperty({ example: 'NGN' }) currency!: string;
  @ApiProperty({ enum: ALLOCATION_RULES }) rule!: AllocationRule;
  @ApiProperty({ format: 'uuid', type: String, nullable: true }) run_id!: string | null;
  @ApiProperty({ description: '`system` or the staff key name' }) created_by!: string;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ description: 'False once reversed' }) live!: boolean;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) reversed_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) reversed_by!: string | null;
  @ApiProperty({ type: String, nullable: true }) reversal_reason!: string | null;
}

export class MatchListDto {
  @ApiProperty({ type: [MatchDto] }) data!: MatchDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class ExceptionDto {
  @ApiProperty({ format: 'uuid' }) transaction_id!: string;
  @ApiProperty() external_id!: string;
  @ApiProperty() bank_id!: string;
  @ApiProperty({ enum: EXCEPTION_REASONS }) reason!: ExceptionReason;
  @ApiProperty({ example: '6000.00' }) amount!: string;
  @ApiProperty({ example: '1000.00' }) unallocated_amount!: string;
  @ApiProperty({ example: 'NGN' }) currency!: string;
  @ApiProperty({ type: String, nullable: true }) reference!: string | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) occurred_at!: string | null;
}

export class ExceptionListDto {
  @ApiProperty({ type: [ExceptionDto] }) data!: ExceptionDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class ExceptionQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EXCEPTION_REASONS })
  @IsOptional()
  @IsIn(EXCEPTION_REASONS)
  reason?: ExceptionReason;

  @ApiPropertyOptional({ description: 'Partner bank id', example: 'default' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  bank?: string;
}

export class CreateMatchDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  transaction_id!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  invoice_id!: string;

  @ApiPropertyOptional({
    description:
      'Decimal string in the currency; default: the smaller of the unallocated and outstanding amounts',
    example: '5000.00',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  })
  @IsOptional()
  amount?: string | number;

  @ApiProperty({ description: 'Why (kept in the audit trail)', example: 'customer confirmed' })
  @IsString()
  @Length(1, 1000)
  note!: string;
}

export class ReverseMatchDto {
  @ApiProperty({ description: 'Why (kept in the audit trail)', example: 'wrong invoice' })
  @IsString()
  @Length(1, 1000)
  reason!: string;
}
