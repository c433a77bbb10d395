/**
 * Who a request acts for. One definition for every service: the gateway derives it from the access
 * token or API key, subgraphs from the internal credential the gateway (or a service) minted for them.
 * An API key is not a person: it holds scopes and nothing else, so fields about "the caller" refuse it.
 */
export type Viewer =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly scopes: ReadonlySet<string>;
      readonly roles: readonly string[];
    }
  | {
      readonly kind: 'key';
      /** The API key's id: safe to log, unlike its secret. */
      readonly keyId: string;
      readonly scopes: ReadonlySet<string>;
    };

export const ANONYMOUS: Viewer = Object.freeze({ kind: 'anonymous' });

export function userViewer(userId: string, scope: string | undefined, roles: readonly string[] = []): Viewer {
  return Object.freeze({
    kind: 'user',
    userId,
    scopes: new Set((scope ?? '').split(' ').filter(Boolean)),
    roles: Object.freeze([...roles]),
  });
}

/** The viewer of a request made with an API key: exactly the key's scopes, no user. */
export function keyViewer(keyId: string, scope: string | readonly string[]): Viewer {
  const scopes = typeof scope === 'string' ? scope.split(' ') : scope;
  return Object.freeze({ kind: 'key', keyId, scopes: new Set(scopes.filter(Boolean)) });
}

export function hasScope(viewer: Viewer, scope: string): boolean {
  return viewer.kind !== 'anonymous' && viewer.scopes.has(scope);
}

/** `@requiresScopes` semantics: the outer list is OR, each inner list is AND. */
export function satisfiesScopes(viewer: Viewer, anyOf: readonly (readonly string[])[]): boolean {
  if (viewer.kind === 'anonymous') return false;
  return anyOf.some((allOf) => allOf.every((s) => viewer.scopes.has(s)));
}
