import { ApiProperty } from '@nestjs/swagger';
import { RunDto } from '../reconciliation/reconciliation.dto';

export class TransactionStatsDto {
  @ApiProperty() status!: string;
  @ApiProperty() match_status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'null until details are fetched' })
  currency!: string | null;
  @ApiProperty() count!: number;
  @ApiProperty({ type: String, nullable: true, example: '5000.00' }) amount!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '0.00' })
  unallocated_amount!: string | null;
}

export class InvoiceStatsDto {
  @ApiProperty() status!: string;
  @ApiProperty() currency!: string;
  @ApiProperty() count!: number;
  @ApiProperty({ example: '15000.00' }) amount_due!: string;
  @ApiProperty({ example: '5000.00' }) amount_paid!: string;
  @ApiProperty({ example: '10000.00' }) amount_outstanding!: string;
}

export class ExceptionStatsDto {
  @ApiProperty() reason!: string;
  @ApiProperty() count!: number;
}

export class StatsDto {
  @ApiProperty({
    type: [TransactionStatsDto],
    description: 'Counts and sums by status, match status and currency (sums never mix currencies)',
  })
  transactions!: TransactionStatsDto[];
  @ApiProperty({ type: [InvoiceStatsDto], description: 'By status and currency' })
  invoices!: InvoiceStatsDto[];
  @ApiProperty({ type: [ExceptionStatsDto] }) exceptions!: ExceptionStatsDto[];
  @ApiProperty({ type: RunDto, nullable: true }) last_run!: RunDto | null;
}
