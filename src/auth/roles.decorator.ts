import { SetMetadata } from '@nestjs/common';
import type { Role } from './api-key.entity';

export const PUBLIC_KEY = 'bank-sync:public';
export const ROLE_KEY = 'bank-sync:role';

/** No staff key needed: health, docs and the bank-signed webhooks. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** The least role that may call the route; higher roles may too. Undecorated routes need admin. */
export const MinRole = (role: Role): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLE_KEY, role);
