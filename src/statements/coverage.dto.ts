import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export class CoverageQuery {
  @ApiProperty({
    format: 'date',
    example: '2026-03-01',
    description: 'first day (booking date, UTC)',
  })
  @Matches(DAY, { message: 'from must be a date, YYYY-MM-DD' })
  from!: string;

  @ApiProperty({
    format: 'date',
    example: '2026-03-31',
    description: 'last day, included (at most 366 days)',
  })
  @Matches(DAY, { message: 'to must be a date, YYYY-MM-DD' })
  to!: string;
}

export class CoverageDayDto {
  @ApiProperty({ format: 'date', example: '2026-03-01' })
  date!: string;

  @ApiProperty({ example: 12, description: 'entries of statements (a transaction once)' })
  statement_entries!: number;

  @ApiProperty({ example: 10 })
  received_by_webhook!: number;

  @ApiProperty({ example: 1 })
  found_by_pull!: number;

  @ApiProperty({ example: 1, description: 'missed webhooks: only a statement had them' })
  only_in_statement!: number;

  @ApiProperty({ example: 0, description: 'on days a statement covers: in no statement' })
  not_in_statement!: number;
}

export class CoverageDto {
  @ApiProperty({ type: [CoverageDayDto] })
  data!: CoverageDayDto[];
}
