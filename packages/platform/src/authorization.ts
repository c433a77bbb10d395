import type { GraphQLFieldResolver, GraphQLResolveInfo } from 'graphql';
import { Kind, type ConstDirectiveNode, type DocumentNode } from 'graphql';
import { ForbiddenError, UnauthenticatedError } from './errors.js';
import { satisfiesScopes, type Viewer } from './viewer.js';

/** What a field demands of its caller, read from `@authenticated` / `@requiresScopes` in SDL. */
export interface FieldPolicy {
  readonly authenticated: boolean;
  /** OR of ANDs; empty when no scope is required. */
  readonly scopes: readonly (readonly string[])[];
}

type Resolvers = Record<string, Record<string, unknown> | unknown>;
type FieldResolver = GraphQLFieldResolver<unknown, { viewer: Viewer }, unknown>;

/** `Type.field` → policy, for fields and types marked in the subgraph's own SDL. */
export function readPolicies(typeDefs: DocumentNode): Map<string, FieldPolicy> {
  const typePolicy = new Map<string, FieldPolicy>();
  const policies = new Map<string, FieldPolicy>();
  for (const def of typeDefs.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const own = policyOf(def.directives);
    if (own) typePolicy.set(def.name.value, own);
    for (const field of def.fields ?? []) {
      const policy = merge(own, policyOf(field.directives));
      if (policy) policies.set(`${def.name.value}.${field.name.value}`, policy);
    }
  }
  return policies;
}

function policyOf(directives: readonly ConstDirectiveNode[] | undefined): FieldPolicy | undefined {
  let authenticated = false;
  const scopes: string[][] = [];
  for (const d of directives ?? []) {
    if (d.name.value === 'authenticated') authenticated = true;
    if (d.name.value === 'requiresScopes') {
      const arg = d.arguments?.find((a) => a.name.value === 'scopes')?.value;
      if (arg?.kind === Kind.LIST) {
        for (const inner of arg.values) {
          if (inner.kind === Kind.LIST) {
            scopes.push(inner.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])));
          }
        }
      }
    }
  }
  return authenticated || scopes.length ? { authenticated: authenticated || scopes.length > 0, scopes } : undefined;
}

function merge(a: FieldPolicy | undefined, b: FieldPolicy | undefined): FieldPolicy | undefined {
  if (!a) return b;
  if (!b) return a;
  // Both must hold: every alternative of one combined with every alternative of the other.
  const scopes =
    a.scopes.length && b.scopes.length ? a.scopes.flatMap((x) => b.scopes.map((y) => [...x, ...y])) : [...a.scopes, ...b.scopes];
  return { authenticated: true, scopes };
}

/**
 * The message of every refusal of an API key on a field about "the caller" as a person (`me`, `myOrders`,
 * `placeOrder`…). An API key is authenticated — it passes `@authenticated` and holds its scopes — but it is
 * no user: the resolvers of those fields refuse it, as they know what needs a person (DESIGN.md's API keys).
 */
export const KEY_HAS_NO_USER = 'An API key acts for no user; this needs a signed-in user.';

export function checkPolicy(viewer: Viewer, policy: FieldPolicy): void {
  if (viewer.kind === 'anonymous') throw new UnauthenticatedError();
  if (policy.scopes.length && !satisfiesScopes(viewer, policy.scopes)) {
    throw new ForbiddenError('Missing a required scope.');
  }
}

/**
 * Wraps the resolvers of every protected field so the subgraph enforces its own directives even when
 * called past the gateway (defence in depth). Protected fields without a resolver get one that reads
 * the parent's property, as the default resolver would.
 */
export function enforceDirectives<R extends Resolvers>(typeDefs: DocumentNode, resolvers: R): R {
  const out: Record<string, unknown> = {};
  for (const [type, fields] of Object.entries(resolvers)) {
    out[type] = typeof fields === 'object' && fields !== null ? { ...fields } : fields;
  }
  for (const [coordinate, policy] of readPolicies(typeDefs)) {
    const [type, field] = coordinate.split('.') as [string, string];
    const typeResolvers = (out[type] ??= {}) as Record<string, unknown>;
    const current = typeResolvers[field];
    if (typeof current === 'object' && current !== null && 'subscribe' in current) {
      // A subscription field: the check runs when the subscription starts, before any event.
      const { subscribe } = current as { subscribe: FieldResolver };
      typeResolvers[field] = {
        ...current,
        subscribe: (parent: unknown, args: unknown, context: { viewer: Viewer }, info: GraphQLResolveInfo) => {
          checkPolicy(context.viewer, policy);
          return subscribe(parent, args, context, info);
        },
      };
      continue;
    }
    const original = current as FieldResolver | undefined;
    typeResolvers[field] = (parent: unknown, args: unknown, context: { viewer: Viewer }, info: GraphQLResolveInfo) => {
      checkPolicy(context.viewer, policy);
      return original ? original(parent, args, context, info) : (parent as Record<string, unknown> | null)?.[field];
    };
  }
  return out as R;
}
