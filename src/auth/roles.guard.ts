import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ProblemException } from '../common/problem';
import type { Role } from './api-key.entity';
import { ApiKeysService, StaffPrincipal } from './api-keys.service';
import { PUBLIC_KEY, ROLE_KEY } from './roles.decorator';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export type StaffRequest = Request & { staff?: StaffPrincipal };

/** Applied to every route: a valid key (401 otherwise) with a role high enough (403). */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  /** Per handler: null for a public route, else the role it needs (metadata never changes). */
  private readonly needs = new WeakMap<object, Role | null>();

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const handler = context.getHandler();
    let needed = this.needs.get(handler);
    if (needed === undefined) {
      const targets = [handler, context.getClass()];
      needed = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)
        ? null
        : (this.reflector.getAllAndOverride<Role>(ROLE_KEY, targets) ?? 'admin');
      this.needs.set(handler, needed);
    }
    return needed === null ? true : this.authorize(context, needed);
  }

  private async authorize(context: ExecutionContext, needed: Role): Promise<boolean> {
    const req = context.switchToHttp().getRequest<StaffRequest>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        'unauthenticated',
        'Send a staff API key as Authorization: Bearer <key>',
      );
    }
    const staff = await this.keys.authenticate(match[1]);
    if (!staff) {
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        'unauthenticated',
        'The API key is not valid or has been revoked',
      );
    }
    if (RANK[staff.role] < RANK[needed]) {
      throw new ProblemException(
        HttpStatus.FORBIDDEN,
        'forbidden',
        `This action needs the ${needed} role; the key has ${staff.role}`,
      );
    }
    req.staff = staff;
    return true;
  }
}
