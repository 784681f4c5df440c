import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../common/pagination';
import { STATEMENT_FORMATS, type StatementFormat } from './parsers/statement-events';

export class UploadQuery {
  @ApiPropertyOptional({
    enum: STATEMENT_FORMATS,
    description: 'detected from the file when left out',
  })
  @IsOptional()
  @IsIn(STATEMENT_FORMATS)
  format?: StatementFormat;
}

export class GapDto {
  @ApiProperty({ example: '1500.00', description: "the previous statement's closing balance" })
  expected_opening!: string;

  @ApiProperty({ format: 'uuid' })
  previous_statement_id!: string;
}

export class StatementSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'NL77ABNA0574908765' })
  account!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'EUR' })
  currency!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date', example: '2026-03-01' })
  period_start!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date', example: '2026-03-31' })
  period_end!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '1500.00' })
  opening_balance!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '1720.50' })
  closing_balance!: string | null;

  @ApiProperty({ example: 12 })
  entries_count!: number;

  @ApiProperty({ example: 3, description: 'entries stored as new transactions' })
  new_count!: number;

  @ApiProperty({ example: 9, description: 'entries that were already stored transactions' })
  known_count!: number;

  @ApiProperty({
    enum: ['ok', 'mismatch', null],
    nullable: true,
    description:
      'opening + entries = closing; null when the file states no opening and closing pair',
  })
  balance_check!: 'ok' | 'mismatch' | null;

  @ApiProperty({
    type: GapDto,
    nullable: true,
    description:
      "set when this opening balance differs from the account's previous closing balance",
  })
  gap_before!: GapDto | null;
}

export class StatementUploadDto {
  @ApiProperty({ format: 'uuid', description: 'the uploaded file' })
  id!: string;

  @ApiProperty({ example: 'acme' })
  bank_id!: string;

  @ApiProperty({ enum: STATEMENT_FORMATS })
  format!: StatementFormat;

  @ApiProperty({ example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' })
  file_sha256!: string;

  @ApiProperty({ type: [StatementSummaryDto] })
  statements!: StatementSummaryDto[];
}

export class StatementListItemDto extends StatementSummaryDto {
  @ApiProperty({ format: 'uuid' })
  file_id!: string;

  @ApiProperty({ example: 'acme' })
  bank_id!: string;

  @ApiProperty({ enum: STATEMENT_FORMATS })
  format!: StatementFormat;

  @ApiProperty({ example: '2026-03-02T08:00:00.000Z' })
  created_at!: string;
}

export class StatementListDto {
  @ApiProperty({ type: [StatementListItemDto] })
  data!: StatementListItemDto[];

  @ApiProperty({ type: String, nullable: true })
  next_cursor!: string | null;
}

export class StatementEntryDto {
  @ApiProperty({ example: 1 })
  seq!: number;

  @ApiProperty({ example: 'Ntry 1 (line 40)', description: 'where in the file' })
  location!: string;

  @ApiProperty({ type: String, nullable: true })
  account!: string | null;

  @ApiProperty({ format: 'date', example: '2026-03-01' })
  booking_date!: string;

  @ApiProperty({ example: '754.25' })
  amount!: string;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiProperty({ enum: ['credit', 'debit'] })
  direction!: string;

  @ApiProperty({ description: 'camt RvslInd, MT940 RC/RD' })
  reversal!: boolean;

  @ApiProperty({ type: String, nullable: true, description: "the bank's transaction id" })
  bank_ref!: string | null;

  @ApiProperty({ type: String, nullable: true })
  reference!: string | null;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ type: String, nullable: true })
  counterparty!: string | null;

  @ApiProperty({ type: String, nullable: true })
  counterparty_account!: string | null;

  @ApiProperty({
    enum: ['new', 'known'],
    description: 'stored as a new transaction, or one already stored',
  })
  outcome!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  transaction_id!: string | null;
}

export class StatementDetailDto extends StatementListItemDto {
  @ApiProperty({ type: [StatementEntryDto], description: 'a page of its entries, in file order' })
  entries!: StatementEntryDto[];

  @ApiProperty({ type: String, nullable: true, description: "the entries' next page (?cursor=)" })
  next_cursor!: string | null;
}

export class EntryPageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 100;

  @ApiPropertyOptional({ description: "the previous page's next_cursor" })
  @IsOptional()
  @Matches(/^\d{1,9}\.\d{1,9}$/, { message: 'cursor is not a value this service issued' })
  cursor?: string;
}

export class StatementListQuery extends PageQuery {}

const COLUMN_EXAMPLE = 'Date';

export class DirectionColumnDto {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'integer' }], example: 'Af Bij' })
  @Allow()
  column!: string | number;

  @ApiProperty({ type: [String], example: ['Af', 'D'] })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(50, { each: true })
  debit_values!: string[];
}

export class CsvColumnsDto {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'integer' }], example: COLUMN_EXAMPLE })
  @Allow()
  date!: string | number;

  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'integer' }],
    description: 'signed amount',
  })
  @Allow()
  amount?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  credit?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  debit?: string | number;

  @ApiPropertyOptional({ type: DirectionColumnDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DirectionColumnDto)
  direction?: DirectionColumnDto;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  currency?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  account?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  reference?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  description?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  counterparty?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  counterparty_account?: string | number;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'integer' }] })
  @Allow()
  external_id?: string | number;
}

export class CsvMappingDto {
  @ApiProperty({ example: ';' })
  @IsString()
  @Length(1, 1, { message: 'delimiter must be one character' })
  delimiter!: string;

  @ApiProperty({ enum: ['.', ','] })
  @IsIn(['.', ','])
  decimal_separator!: '.' | ',';

  @ApiProperty({ enum: ['utf-8', 'iso-8859-1', 'windows-1252'] })
  @IsIn(['utf-8', 'iso-8859-1', 'windows-1252'])
  encoding!: 'utf-8' | 'iso-8859-1' | 'windows-1252';

  @ApiProperty({ example: 'DD.MM.YYYY', description: 'YYYY, YY, MM, DD and separators' })
  @Matches(/^(?=.*(YYYY|YY))(?=.*MM?)(?=.*DD?)[YMD./ -]{4,20}$/, {
    message: 'date_format must be made of YYYY or YY, MM, DD and separators, e.g. DD.MM.YYYY',
  })
  date_format!: string;

  @ApiProperty()
  @IsBoolean()
  header!: boolean;

  @ApiProperty({
    minimum: 0,
    maximum: 100,
    example: 0,
    description: 'rows before the header or the first entry',
  })
  @IsInt()
  @Min(0)
  @Max(100)
  skip_rows!: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 100,
    default: 0,
    description: 'rows after the last entry',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  skip_footer_rows?: number;

  @ApiPropertyOptional({
    example: 'EUR',
    description: 'the currency of every row when no column names it',
  })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code' })
  currency?: string;

  @ApiProperty({ type: CsvColumnsDto })
  @ValidateNested()
  @Type(() => CsvColumnsDto)
  columns!: CsvColumnsDto;
}
