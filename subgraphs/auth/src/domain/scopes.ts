/**
 * The scope catalogue: every scope auth grants (through roles, see roles.ts) and an API key may carry.
 * Auth issues them; each service checks the ones its fields need (`@requiresScopes` in its SDL).
 */
export const Scope = {
  OrdersManage: 'orders:manage',
  StockWrite: 'stock:write',
  MenuWrite: 'menu:write',
  UsersManage: 'users:manage',
} as const;
