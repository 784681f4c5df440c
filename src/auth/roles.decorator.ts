import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, DECORATORS } from '@nestjs/swagger';
import type { Role } from './api-key.entity';

export const PUBLIC_KEY = 'bank-sync:public';
export const ROLE_KEY = 'bank-sync:role';

/**
 * No staff key needed: health, docs and the bank-signed webhooks. The OpenAPI document says so
 * with `security: []` (an empty requirement overrides the bearer scheme). Put it on the
 * controller: the Swagger scanner drops an empty list set on a single method.
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(PUBLIC_KEY, true), SetMetadata(DECORATORS.API_SECURITY, []));

/**
 * The least role that may call the route; higher roles may too. Undecorated routes need admin.
 * Also written into the OpenAPI document (`x-min-role`, and the operation's description), so the
 * docs cannot drift from the guard.
 */
export const MinRole = (role: Role): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ROLE_KEY, role), ApiExtension('x-min-role', role));
