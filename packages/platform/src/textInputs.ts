import { Kind, type DocumentNode, type GraphQLFieldResolver } from 'graphql';
import { BadUserInputError } from './errors.js';

/** NUL, or a UTF-16 surrogate without its pair: text no database column (UTF-8) can hold. */
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const BAD_TEXT_MESSAGE = 'Text inputs must not contain NUL characters or unpaired surrogates.';

/** Per `Type.field`, the error to raise instead of BAD_USER_INPUT (logIn: the same error as a wrong password). */
export type TextInputErrors = Readonly<Record<string, () => Error>>;

/** The argument path of the first string in `value` that is not valid text, or undefined. */
export function findBadText(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? path : undefined;
  // Arguments are coerced input values, bounded by the body limit; the depth guard only stops pathological nesting.
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findBadText(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const found = findBadText(item, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

type Resolvers = Record<string, Record<string, unknown> | unknown>;

/**
 * Wraps the resolver of every field that takes arguments so that a NUL or an unpaired surrogate in any
 * text argument (String, ID, inside input objects and lists; literal or variable alike) is a BAD_USER_INPUT
 * before any resolver, database or downstream service sees it — never a database encoding error.
 */
export function validateTextInputs<R extends Resolvers>(typeDefs: DocumentNode, resolvers: R, errors: TextInputErrors = {}): R {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [type, fields] of Object.entries(resolvers)) {
    out[type] = typeof fields === 'object' && fields !== null ? { ...(fields as object) } : (fields as never);
  }
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition.name.value;
    for (const field of definition.fields ?? []) {
      if (!field.arguments?.length) continue;
      const name = field.name.value;
      const coordinate = `${type}.${name}`;
      const typeResolvers = (out[type] ??= {});
      const original = typeResolvers[name] as GraphQLFieldResolver<unknown, unknown> | undefined;
      typeResolvers[name] = (parent: unknown, args: Record<string, unknown>, context: unknown, info: never) => {
        const bad = findBadText(args, '');
        if (bad) throw errors[coordinate]?.() ?? new BadUserInputError(BAD_TEXT_MESSAGE, bad);
        return original ? original(parent, args, context, info) : (parent as Record<string, unknown> | null)?.[name];
      };
    }
  }
  return out as R;
}
