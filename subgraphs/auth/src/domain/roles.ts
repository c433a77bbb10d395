import { Scope } from './scopes.js';

export const ROLES = ['CUSTOMER', 'STAFF', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

const STAFF_SCOPES = [Scope.OrdersManage, Scope.StockWrite];
const SCOPES_BY_ROLE: Record<Role, readonly string[]> = {
  CUSTOMER: [],
  STAFF: STAFF_SCOPES,
  ADMIN: [...STAFF_SCOPES, Scope.MenuWrite, Scope.UsersManage],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** The access token's `scope` claim: the union of every role's scopes, space separated, in a stable order. */
export function scopesFor(roles: readonly string[]): string {
  const scopes = new Set<string>();
  for (const role of roles) if (isRole(role)) for (const s of SCOPES_BY_ROLE[role]) scopes.add(s);
  return [...scopes].sort().join(' ');
}

/** Every scope some role grants: the only scopes an API key may carry. */
export const KNOWN_SCOPES: readonly string[] = [...new Set(Object.values(SCOPES_BY_ROLE).flat())].sort();
