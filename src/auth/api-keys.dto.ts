import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';
import { ROLES, type Role } from './api-key.entity';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'reconciliation-bot', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ enum: ROLES, example: 'operator' })
  @IsIn(ROLES)
  role!: Role;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  last_used_at!: string | null;
}

export class ApiKeyCreatedDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown only in this answer; store it now.' })
  key!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] }) data!: ApiKeyDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor!: string | null;
}

/** The key a request was made with: what a console or a script needs to know what it may do. */
export class CurrentKeyDto {
  @ApiProperty({
    format: 'uuid',
    type: String,
    nullable: true,
    description: 'null for the bootstrap key (ADMIN_API_KEY)',
  })
  id!: string | null;
  @ApiProperty({ example: 'ops-alice' }) name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
}
