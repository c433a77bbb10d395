import { GraphQLError, isListType, isNonNullType, type GraphQLOutputType } from 'graphql';
import { TYPENAME_KEY, type FilterResult, type Removal } from './filter.js';

export const UNAUTHORIZED_MESSAGE = 'Unauthorized field or type';

export interface ExecutionResultLike {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLError[];
}

type Path = (string | number)[];
type Container = Record<string, unknown> | unknown[];

interface Nulled {
  readonly path: Path;
  /** Type at each concrete segment: the field's type, or the list's item type for an index. */
  readonly types: GraphQLOutputType[];
}

/**
 * Puts back what `filterOperation` removed: null at every removed path of the actual data (list
 * positions expanded), propagated to the nearest nullable parent as GraphQL does, and one error per
 * concrete path. Mutates `result.data` in place (it is the executor's own fresh object).
 * When the filter reported `empty`, pass `{ data: {} }`.
 */
export function applyRemovals<T extends ExecutionResultLike>(
  result: T,
  filter: Pick<FilterResult, 'removals' | 'typenamePaths'>,
): Omit<T, 'data' | 'errors'> & ExecutionResultLike {
  const data = result.data;
  if (filter.removals.length === 0 || !data) return result;
  const errors: GraphQLError[] = [];
  const nulled: Nulled[] = [];
  const seen = new Set<string>();
  // Children first: an emptied parent is still absent while they are walked, so their errors get a path.
  for (const pass of [false, true]) {
    for (const removal of filter.removals) {
      if (Boolean(removal.emptied) === pass) walk(data, removal, 0, [], [], errors, nulled, seen);
    }
  }
  const root = { data } as Record<string, unknown>;
  for (const { path, types } of nulled) propagate(root, path, types);
  for (const path of filter.typenamePaths) stripTypename(root.data, path, 0);
  return { ...result, data: root.data as Record<string, unknown> | null, errors: [...(result.errors ?? []), ...errors] };
}

function walk(
  object: Record<string, unknown>,
  removal: Removal,
  depth: number,
  path: Path,
  types: GraphQLOutputType[],
  errors: GraphQLError[],
  nulled: Nulled[],
  seen: Set<string>,
): void {
  const condition = removal.conditions?.[depth];
  if (condition && !condition.has(object[TYPENAME_KEY] as string)) return;
  const key = removal.path[depth]!;
  const type = removal.types[depth]!;
  const value = object[key];
  if (depth === removal.path.length - 1) {
    // Present means the same response key was also selected where the viewer may see it.
    if (value !== undefined) return;
    object[key] = null;
    const concrete = [...path, key];
    nulled.push({ path: concrete, types: [...types, type] });
    if (!removal.emptied) report(removal, concrete, errors, seen);
    return;
  }
  if (value === undefined) {
    // The parent itself was removed (its selection emptied): report below it without positions.
    if (!removal.emptied) report(removal, [...path, ...removal.path.slice(depth)], errors, seen);
    return;
  }
  path.push(key);
  types.push(type);
  descend(value, type, removal, depth, path, types, errors, nulled, seen);
  path.pop();
  types.pop();
}

function descend(
  value: unknown,
  type: GraphQLOutputType,
  removal: Removal,
  depth: number,
  path: Path,
  types: GraphQLOutputType[],
  errors: GraphQLError[],
  nulled: Nulled[],
  seen: Set<string>,
): void {
  if (value === null || typeof value !== 'object') return;
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    if (!Array.isArray(value)) return;
    const item = inner.ofType as GraphQLOutputType;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      types.push(item);
      descend(value[i], item, removal, depth, path, types, errors, nulled, seen);
      path.pop();
      types.pop();
    }
    return;
  }
  walk(value as Record<string, unknown>, removal, depth + 1, path, types, errors, nulled, seen);
}

function report(removal: Removal, path: Path, errors: GraphQLError[], seen: Set<string>): void {
  const key = path.join('\u0000');
  if (seen.has(key)) return;
  seen.add(key);
  errors.push(new GraphQLError(UNAUTHORIZED_MESSAGE, { path, extensions: { code: removal.code } }));
}

/** A null where the type forbids it nulls the parent instead, up to a nullable position or `data`. */
function propagate(root: Record<string, unknown>, path: Path, types: GraphQLOutputType[]): void {
  let k = path.length - 1;
  while (k >= 0 && isNonNullType(types[k])) {
    const parentPath = ['data', ...path.slice(0, k)];
    if (!setNull(root, parentPath)) return;
    k--;
  }
}

function setNull(root: Record<string, unknown>, path: Path): boolean {
  let container: Container = root;
  for (let i = 0; i < path.length - 1; i++) {
    const next: unknown = (container as Record<string | number, unknown>)[path[i]!];
    if (next === null || typeof next !== 'object') return false;
    container = next as Container;
  }
  (container as Record<string | number, unknown>)[path[path.length - 1]!] = null;
  return true;
}

function stripTypename(value: unknown, path: readonly string[], depth: number): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) stripTypename(item, path, depth);
    return;
  }
  const object = value as Record<string, unknown>;
  if (depth === path.length) {
    delete object[TYPENAME_KEY];
    return;
  }
  stripTypename(object[path[depth]!], path, depth + 1);
}
