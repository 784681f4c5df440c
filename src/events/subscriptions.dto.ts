import { IsOmittable } from '../common/optional';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { EVENT_TYPES, type EventType } from './event.entities';

export class CreateSubscriptionDto {
  @ApiProperty({ example: 'https://accounting.example/hooks/bank-sync' })
  @IsString()
  @Length(1, 2000)
  url!: string;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['invoice.paid'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  events!: EventType[];

  @ApiPropertyOptional({ example: 'Ledger sync' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class UpdateSubscriptionDto {
  @ApiPropertyOptional() @IsOmittable() @IsString() @Length(1, 2000) url?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  events?: EventType[];

  @ApiPropertyOptional() @IsOmittable() @IsBoolean() enabled?: boolean;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) description?: string;
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    description: 'How long the old secret keeps signing too, in seconds (default 86400)',
    default: 86400,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30 * 86400)
  overlap_seconds?: number;
}

export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true }) events!: EventType[];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ description: 'Secrets currently signing (2 during a rotation overlap)' })
  active_secrets!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class SubscriptionCreatedDto extends SubscriptionDto {
  @ApiProperty({ description: 'The signing secret (whsec_…). Shown only in this answer.' })
  secret!: string;
}

export class SubscriptionListDto {
  @ApiProperty({ type: [SubscriptionDto] }) data!: SubscriptionDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

export class DeliveryAttemptDto {
  @ApiProperty({ format: 'date-time' }) attempted_at!: string;
  @ApiProperty({ type: Number, nullable: true }) response_status!: number | null;
  @ApiProperty() latency_ms!: number;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The event id (webhook-id)' }) event_id!: string;
  @ApiProperty({ enum: EVENT_TYPES }) event_type!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'dead'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) next_attempt_at!:
    string | null;
  @ApiProperty({ type: String, nullable: true }) last_error!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) delivered_at!: string | null;
  @ApiProperty({ type: [DeliveryAttemptDto] }) attempt_log!: DeliveryAttemptDto[];
}

export class DeliveryListDto {
  @ApiProperty({ type: [DeliveryDto] }) data!: DeliveryDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}
