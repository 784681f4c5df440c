import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { WRITE_OFF_REASONS, type WriteOffReason } from './write-off';
import type { SuggestionKind } from './scorer';

const KINDS: SuggestionKind[] = ['named', 'near_reference', 'amount', 'split', 'refund'];

export class FactorEvidenceDto {
  @ApiProperty({ example: 0.9, minimum: 0, maximum: 1 }) score!: number;
  @ApiProperty({ example: '"inv1o01" reads as INV-1001 (O for 0 or I/l for 1)' }) detail!: string;
}

export class EvidenceDto {
  @ApiProperty({ type: FactorEvidenceDto }) reference!: FactorEvidenceDto;
  @ApiProperty({ type: FactorEvidenceDto }) amount!: FactorEvidenceDto;
  @ApiProperty({ type: FactorEvidenceDto }) party!: FactorEvidenceDto;
  @ApiProperty({ type: FactorEvidenceDto }) date!: FactorEvidenceDto;
  @ApiProperty({ type: FactorEvidenceDto }) currency!: FactorEvidenceDto;
}

export class SuggestedInvoiceDto {
  @ApiProperty({ format: 'uuid' }) invoice_id!: string;
  @ApiProperty({ example: 'INV-1001' }) invoice_number!: string;
  @ApiProperty({ example: '117.50', description: 'What accepting allocates to it' })
  amount!: string;
}

export class SuggestedWriteOffDto {
  @ApiProperty({ example: '2.50' }) amount!: string;
  @ApiProperty({ enum: WRITE_OFF_REASONS }) reason!: WriteOffReason;
}

export class SuggestionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) transaction_id!: string;
  @ApiProperty({
    enum: KINDS,
    description:
      'named: the reference names it exactly; near_reference: one slip away; amount: the ' +
      "payer's invoice with exactly that amount; split: several invoices of the payer summing to " +
      'it; refund: a debit taking back an allocation (the candidate is its reversal)',
  })
  kind!: SuggestionKind;
  @ApiProperty({ example: 0.982, minimum: 0, maximum: 1, description: '3 decimals' })
  score!: number;
  @ApiProperty({ type: [SuggestedInvoiceDto] }) invoices!: SuggestedInvoiceDto[];
  @ApiProperty({ type: SuggestedWriteOffDto, nullable: true })
  write_off!: SuggestedWriteOffDto | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The allocation a refund reverses',
  })
  reversal_of!: string | null;
  @ApiProperty({ type: EvidenceDto }) evidence!: EvidenceDto;
}

export class SuggestionListDto {
  @ApiProperty({ type: [SuggestionDto], description: 'Best first, at most 5' })
  data!: SuggestionDto[];
}

export class AcceptedSuggestionDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'uuid' },
    description: 'The allocations made (none for a refund, which reverses one)',
  })
  match_ids!: string[];
}

export class DeclineSuggestionDto {
  @ApiProperty({ description: 'Why (kept)', example: 'customer paid another invoice' })
  @IsString()
  @Length(1, 1000)
  reason!: string;
}

export class CreateWriteOffRuleDto {
  @ApiProperty({ example: 'Bank fees up to 5 EUR' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ example: 'EUR' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as EUR' })
  currency!: string;

  @ApiProperty({ example: '5.00', description: 'Largest shortfall written off, decimal string' })
  @IsString()
  max_amount!: string;

  @ApiPropertyOptional({
    example: '2.5',
    description: 'Also at most this percentage of the outstanding amount (0 < p ≤ 100)',
  })
  @IsOptional()
  @IsString()
  @Matches(/^(100(\.0{1,4})?|\d{1,2}(\.\d{1,4})?)$/, {
    message: 'max_percent must be a decimal percentage from 0 to 100 with at most 4 decimals',
  })
  max_percent?: string;

  @ApiProperty({ enum: WRITE_OFF_REASONS })
  @IsIn(WRITE_OFF_REASONS)
  reason!: WriteOffReason;
}

export class WriteOffRuleDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ example: '5.00' }) max_amount!: string;
  @ApiProperty({ type: String, nullable: true, example: '2.5' }) max_percent!: string | null;
  @ApiProperty({ enum: WRITE_OFF_REASONS }) reason!: WriteOffReason;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty() created_by!: string;
}

export class WriteOffRuleListDto {
  @ApiProperty({ type: [WriteOffRuleDto] }) data!: WriteOffRuleDto[];
}
