import { Kind, type DocumentNode, type GraphQLFieldResolver } from 'graphql';
import { ForbiddenError } from './errors.js';

/**
 * Which services may call which root fields of a subgraph — its one declaration of who it trusts. `'public'`:
 * every root field its SDL does not mark `@inaccessible` (what clients reach through the gateway); a list:
 * exactly those `Type.field` coordinates. A service not named here is refused before any field runs (the
 * credential verifier accepts only these issuers).
 */
export type Callers = Readonly<Record<string, 'public' | readonly string[]>>;

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

type Resolvers = Record<string, Record<string, unknown> | unknown>;

/** Wraps every root field so that a caller not allowed to call it gets FORBIDDEN at that field. */
export function enforceCallers<R extends Resolvers>(typeDefs: DocumentNode, resolvers: R, callers: Callers): R {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [type, fields] of Object.entries(resolvers)) {
    out[type] = typeof fields === 'object' && fields !== null ? { ...(fields as object) } : (fields as never);
  }
  const publicCallers = Object.keys(callers).filter((c) => callers[c] === 'public');
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition.name.value;
    if (!ROOT_TYPES.has(type)) continue;
    for (const field of definition.fields ?? []) {
      const name = field.name.value;
      const coordinate = `${type}.${name}`;
      const internal = field.directives?.some((d) => d.name.value === 'inaccessible') ?? false;
      const allowed = new Set(internal ? [] : publicCallers);
      for (const [caller, fields] of Object.entries(callers)) if (fields !== 'public' && fields.includes(coordinate)) allowed.add(caller);
      if (allowed.size === Object.keys(callers).length) continue;
      const typeResolvers = (out[type] ??= {});
      const original = typeResolvers[name] as GraphQLFieldResolver<unknown, { caller: string }> | undefined;
      typeResolvers[name] = (parent: unknown, args: unknown, context: { caller: string }, info: never) => {
        if (!allowed.has(context.caller)) throw new ForbiddenError('Internal operation.');
        return original ? original(parent, args as never, context, info) : (parent as Record<string, unknown> | null)?.[name];
      };
    }
  }
  return out as R;
}
