import { ValidateIf } from 'class-validator';

/**
 * Like `@IsOptional()`, but only for a missing field: `null` is still validated (and refused by
 * the field's other rules). For PATCH fields whose column is NOT NULL: `@IsOptional()` lets
 * `null` through to the database, which answers it with a 500.
 */
export const IsOmittable = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);
