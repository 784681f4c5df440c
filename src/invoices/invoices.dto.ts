import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { MatchDto } from '../reconciliation/reconciliation.dto';
import { INVOICE_STATUSES, type InvoiceStatus } from './invoice.entity';

export class CreateInvoiceDto {
  @ApiProperty({
    example: 'INV-001',
    description:
      'Letters, digits and the separators space - _ / . ; unique ignoring case and separators',
  })
  @IsString()
  invoice_number!: string;

  @ApiProperty({
    example: '5000.00',
    description: 'Decimal string (or JSON number) > 0, at most the currency decimals',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  })
  @IsDefined()
  amount_due!: string | number;

  @ApiProperty({ example: 'NGN', description: 'ISO 4217' })
  @IsString()
  @Length(3, 3)
  currency!: string;

  @ApiPropertyOptional({ example: 'Acme Ltd' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  customer?: string;

  @ApiPropertyOptional({ example: '2026-03-31', format: 'date' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'due_date must be a date such as 2026-03-31' })
  due_date?: string;
}

export class InvoiceListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: INVOICE_STATUSES })
  @IsOptional()
  @IsIn(INVOICE_STATUSES)
  status?: InvoiceStatus;

  @ApiPropertyOptional({ description: 'Invoice number, ignoring case and separators' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  number?: string;
}

export class InvoiceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'INV-001' }) invoice_number!: string;
  @ApiProperty({ type: String, nullable: true }) customer!: string | null;
  @ApiProperty({ example: 'NGN' }) currency!: string;
  @ApiProperty({ example: '5000.00' }) amount_due!: string;
  @ApiProperty({ example: '2000.00', description: 'Sum of the live allocations' })
  amount_paid!: string;
  @ApiProperty({
    example: '3000.00',
    description: 'amount_due - amount_paid - amount_written_off; 0 when cancelled',
  })
  amount_outstanding!: string;
  @ApiProperty({
    example: '0.00',
    description: 'Settled by live write-offs (a bank fee, rounding...) rather than paid',
  })
  amount_written_off!: string;
  @ApiProperty({ enum: INVOICE_STATUSES }) status!: InvoiceStatus;
  @ApiProperty({ type: String, nullable: true, format: 'date' }) due_date!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) cancelled_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) cancelled_by!: string | null;
}

export class InvoiceWithAllocationsDto extends InvoiceDto {
  @ApiProperty({ type: [MatchDto], description: 'Live and reversed, oldest first' })
  allocations!: MatchDto[];
}

export class InvoiceListDto {
  @ApiProperty({ type: [InvoiceDto] }) data!: InvoiceDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}
