/**
 * Who a request acts for. One definition for every service: the gateway derives it from the access
 * token, subgraphs from the internal credential the gateway (or a service) minted for them.
 */
export type Viewer =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly scopes: ReadonlySet<string>;
      readonly roles: readonly string[];
    };

export const ANONYMOUS: Viewer = Object.freeze({ kind: 'anonymous' });

export const Scope = {
  OrdersManage: 'orders:manage',
  StockWrite: 'stock:write',
  MenuWrite: 'menu:write',
  UsersManage: 'users:manage',
} as const;

export function userViewer(userId: string, scope: string | undefined, roles: readonly string[] = []): Viewer {
  return Object.freeze({
    kind: 'user',
    userId,
    scopes: new Set((scope ?? '').split(' ').filter(Boolean)),
    roles: Object.freeze([...roles]),
  });
}

export function hasScope(viewer: Viewer, scope: string): boolean {
  return viewer.kind === 'user' && viewer.scopes.has(scope);
}

/** `@requiresScopes` semantics: the outer list is OR, each inner list is AND. */
export function satisfiesScopes(viewer: Viewer, anyOf: readonly (readonly string[])[]): boolean {
  if (viewer.kind !== 'user') return false;
  return anyOf.some((allOf) => allOf.every((s) => viewer.scopes.has(s)));
}
