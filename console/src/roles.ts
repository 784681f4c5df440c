/** The roles of the contract, lowest first; the console hides what a role may not do. */
export type Role = 'viewer' | 'operator' | 'admin';

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const mayAct = (role: Role | undefined, needed: Role): boolean =>
  role !== undefined && RANK[role] >= RANK[needed];
