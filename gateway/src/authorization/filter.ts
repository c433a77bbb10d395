import {
  Kind,
  getNamedType,
  isAbstractType,
  isCompositeType,
  isUnionType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Viewer } from '@brigade/platform';
import {
  deny,
  permissionClass,
  seesEverything,
  type AuthorizationPolicy,
  type DenialCode,
} from './policy.js';

/** Response key under which the filter asks for `__typename` where a removal only applies to some types. */
export const TYPENAME_KEY = '__authz_typename';

export interface Removal {
  /** Response keys (aliases) from the root; list positions are expanded against the data later. */
  readonly path: readonly string[];
  readonly code: DenialCode;
  /** `Type.field`, or `Type` when a fragment on a protected type was removed. */
  readonly coordinate: string;
  /** Output type of the field at each path segment, so null can propagate as GraphQL would. */
  readonly types: readonly GraphQLOutputType[];
  /**
   * Per path segment, the runtime types of the parent object the segment applies to (it sat under a
   * narrower type condition); null = every type. Undefined when no segment is conditional.
   */
  readonly conditions?: readonly (ReadonlySet<string> | null)[];
  /** Dropped because everything selected under it was: null it; its children carry the errors. */
  readonly emptied?: true;
}

export interface FilterResult {
  /** The operation to execute: the input object itself when nothing was removed. */
  readonly document: DocumentNode;
  readonly removals: readonly Removal[];
  /** '' when nothing was removed, else the removed coordinates: key the query-plan cache with it. */
  readonly permissionKey: string;
  /** The root selection set became empty: do not execute, answer with `applyRemovals` on `{ data: {} }`. */
  readonly empty: boolean;
  /** Paths of fields whose objects carry the extra `TYPENAME_KEY` (removed again by `applyRemovals`). */
  readonly typenamePaths: readonly (readonly string[])[];
}

const NO_REMOVALS: readonly Removal[] = Object.freeze([]);
const NO_PATHS: readonly (readonly string[])[] = Object.freeze([]);
const TYPENAME_FIELD: FieldNode = Object.freeze({
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME as const, value: TYPENAME_KEY },
  name: { kind: Kind.NAME as const, value: '__typename' },
});

const caches = new WeakMap<AuthorizationPolicy, WeakMap<DocumentNode, Map<string, FilterResult>>>();

/**
 * Removes from the selected operation every field and fragment the viewer may not see (Apollo
 * Router's `@authenticated` / `@requiresScopes` semantics). Pure; results are cached per document
 * object and permission class, so callers must treat them as immutable.
 */
export function filterOperation(
  policy: AuthorizationPolicy,
  document: DocumentNode,
  operationName: string | null | undefined,
  viewer: Viewer,
): FilterResult {
  if (seesEverything(policy, viewer)) return unchanged(document);
  let byDocument = caches.get(policy);
  if (!byDocument) caches.set(policy, (byDocument = new WeakMap()));
  let byClass = byDocument.get(document);
  if (!byClass) byDocument.set(document, (byClass = new Map()));
  const key = `${operationName ?? ''}\n${permissionClass(policy, viewer)}`;
  let result = byClass.get(key);
  if (!result) byClass.set(key, (result = analyse(policy, document, operationName, viewer)));
  return result;
}

function unchanged(document: DocumentNode): FilterResult {
  return { document, removals: NO_REMOVALS, permissionKey: '', empty: false, typenamePaths: NO_PATHS };
}

interface Level {
  needsTypename: boolean;
}

interface Context {
  readonly policy: AuthorizationPolicy;
  readonly viewer: Viewer;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly removals: Removal[];
  readonly typenamePaths: string[][];
  // Stacks describing the field path being visited, one entry per response-path segment.
  readonly path: string[];
  readonly types: GraphQLOutputType[];
  readonly conditions: (ReadonlySet<string> | null)[];
  readonly levels: Level[];
}

function analyse(
  policy: AuthorizationPolicy,
  document: DocumentNode,
  operationName: string | null | undefined,
  viewer: Viewer,
): FilterResult {
  const operation = selectOperation(document, operationName);
  const root = operation && rootType(policy, operation);
  // Unknown operation or root: execution reports it; nothing of ours to hide.
  if (!operation || !root) return unchanged(document);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const ctx: Context = {
    policy,
    viewer,
    fragments,
    removals: [],
    typenamePaths: [],
    path: [],
    types: [],
    conditions: [],
    levels: [],
  };
  const selectionSet = filterSelectionSet(ctx, operation.selectionSet, root, root, null, { needsTypename: false });
  if (selectionSet === operation.selectionSet) return unchanged(document);
  const permissionKey = [...new Set(ctx.removals.filter((r) => !r.emptied).map((r) => r.coordinate))]
    .sort()
    .join(',');
  if (selectionSet === null) {
    return { document, removals: ctx.removals, permissionKey, empty: true, typenamePaths: NO_PATHS };
  }
  const filtered: OperationDefinitionNode = { ...operation, selectionSet };
  return {
    document: { kind: Kind.DOCUMENT, definitions: [filtered, ...usedFragments(filtered, fragments)] },
    removals: ctx.removals,
    permissionKey,
    empty: false,
    typenamePaths: ctx.typenamePaths,
  };
}

function selectOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  let found: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName == null) {
      if (found) return undefined;
      found = definition;
    } else if (definition.name?.value === operationName) {
      return definition;
    }
  }
  return found;
}

function rootType(policy: AuthorizationPolicy, operation: OperationDefinitionNode): GraphQLObjectType | undefined {
  const schema = policy.schema;
  switch (operation.operation) {
    case 'query':
      return schema.getQueryType() ?? undefined;
    case 'mutation':
      return schema.getMutationType() ?? undefined;
    case 'subscription':
      return schema.getSubscriptionType() ?? undefined;
  }
}

/**
 * Returns the same node when nothing changed, null when nothing is left, else a new node.
 * `scope` is the type whose fields are being selected (after type conditions), `fieldType` the
 * named type of the enclosing field, `only` the runtime types `scope` narrows `fieldType` to.
 */
function filterSelectionSet(
  ctx: Context,
  selectionSet: SelectionSetNode,
  scope: GraphQLCompositeType,
  fieldType: GraphQLCompositeType,
  only: ReadonlySet<string> | null,
  level: Level,
): SelectionSetNode | null {
  let kept: SelectionNode[] | undefined;
  const selections = selectionSet.selections;
  for (let i = 0; i < selections.length; i++) {
    const selection = selections[i]!;
    const replacement = filterSelection(ctx, selection, scope, fieldType, only, level);
    if (replacement !== selection && !kept) kept = selections.slice(0, i);
    if (kept && replacement) kept.push(replacement);
  }
  if (!kept) return selectionSet;
  return kept.length === 0 ? null : { ...selectionSet, selections: kept };
}

function filterSelection(
  ctx: Context,
  selection: SelectionNode,
  scope: GraphQLCompositeType,
  fieldType: GraphQLCompositeType,
  only: ReadonlySet<string> | null,
  level: Level,
): SelectionNode | null {
  switch (selection.kind) {
    case Kind.FIELD:
      return filterField(ctx, selection, scope, only, level);
    case Kind.INLINE_FRAGMENT: {
      const condition = selection.typeCondition
        ? compositeType(ctx, selection.typeCondition.name.value)
        : scope;
      if (!condition) return selection;
      const narrowed = narrow(ctx, condition, scope, fieldType, only);
      if (denyType(ctx, condition, selection.selectionSet, narrowed, level)) return null;
      const selectionSet = filterSelectionSet(ctx, selection.selectionSet, condition, fieldType, narrowed, level);
      if (selectionSet === selection.selectionSet) return selection;
      return selectionSet && { ...selection, selectionSet };
    }
    case Kind.FRAGMENT_SPREAD: {
      const fragment = ctx.fragments.get(selection.name.value);
      const condition = fragment && compositeType(ctx, fragment.typeCondition.name.value);
      if (!fragment || !condition) return selection;
      const narrowed = narrow(ctx, condition, scope, fieldType, only);
      if (denyType(ctx, condition, fragment.selectionSet, narrowed, level)) return null;
      const selectionSet = filterSelectionSet(ctx, fragment.selectionSet, condition, fieldType, narrowed, level);
      if (selectionSet === fragment.selectionSet) return selection;
      // This use of the fragment differs from the definition (and maybe from its other uses): inline it.
      return (
        selectionSet && {
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: fragment.typeCondition,
          directives: selection.directives,
          selectionSet,
        }
      );
    }
  }
}

function filterField(
  ctx: Context,
  field: FieldNode,
  scope: GraphQLCompositeType,
  only: ReadonlySet<string> | null,
  level: Level,
): FieldNode | null {
  const name = field.name.value;
  if (name === '__typename' || isUnionType(scope)) return field;
  const definition = scope.getFields()[name];
  // Introspection fields and invalid selections are left for validation and execution.
  if (!definition) return field;
  const coordinate = `${scope.name}.${name}`;
  const requirement = ctx.policy.fields.get(coordinate);
  const code = requirement && deny(requirement, ctx.viewer);
  const responseKey = field.alias?.value ?? name;
  ctx.path.push(responseKey);
  ctx.types.push(definition.type);
  ctx.conditions.push(only);
  ctx.levels.push(level);
  try {
    if (code) {
      record(ctx, code, coordinate, false);
      return null;
    }
    if (!field.selectionSet) return field;
    const named = getNamedType(definition.type);
    if (!isCompositeType(named)) return field;
    const childLevel: Level = { needsTypename: false };
    const firstChild = ctx.removals.length;
    let selectionSet = filterSelectionSet(ctx, field.selectionSet, named, named, null, childLevel);
    if (selectionSet === null) {
      // Router drops a field whose whole selection was removed; the removed children explain why,
      // unless only unreported selections (`__typename` in a protected fragment) were there.
      const child = ctx.removals[firstChild];
      if (child) record(ctx, child.code, coordinate, true);
      else record(ctx, ctx.viewer.kind === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN', coordinate, false);
      return null;
    }
    if (childLevel.needsTypename) {
      ctx.typenamePaths.push([...ctx.path]);
      selectionSet = { ...selectionSet, selections: [...selectionSet.selections, TYPENAME_FIELD] };
    }
    return selectionSet === field.selectionSet ? field : { ...field, selectionSet };
  } finally {
    ctx.path.pop();
    ctx.types.pop();
    ctx.conditions.pop();
    ctx.levels.pop();
  }
}

/** Records the removal of the field at the top of the path stacks. */
function record(ctx: Context, code: DenialCode, coordinate: string, emptied: boolean): void {
  let conditional = false;
  for (let d = 0; d < ctx.conditions.length; d++) {
    if (ctx.conditions[d]) {
      conditional = true;
      ctx.levels[d]!.needsTypename = true;
    }
  }
  ctx.removals.push({
    path: [...ctx.path],
    code,
    coordinate,
    types: [...ctx.types],
    ...(conditional ? { conditions: [...ctx.conditions] } : {}),
    ...(emptied ? { emptied: true as const } : {}),
  });
}

/**
 * A fragment on a type the viewer may not see is removed whole (Router's type-level rule); each
 * field it selected is reported, restricted to the runtime types of the fragment.
 */
function denyType(
  ctx: Context,
  condition: GraphQLCompositeType,
  selectionSet: SelectionSetNode,
  only: ReadonlySet<string> | null,
  level: Level,
): boolean {
  const requirement = ctx.policy.types.get(condition.name);
  const code = requirement && deny(requirement, ctx.viewer);
  if (!code) return false;
  reportAll(ctx, selectionSet, condition, only, level, code, condition.name, new Set());
  return true;
}

function reportAll(
  ctx: Context,
  selectionSet: SelectionSetNode,
  scope: GraphQLCompositeType,
  only: ReadonlySet<string> | null,
  level: Level,
  code: DenialCode,
  coordinate: string,
  visiting: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const definition = name === '__typename' || isUnionType(scope) ? undefined : scope.getFields()[name];
      if (!definition) continue;
      ctx.path.push(selection.alias?.value ?? name);
      ctx.types.push(definition.type);
      ctx.conditions.push(only);
      ctx.levels.push(level);
      record(ctx, code, coordinate, false);
      ctx.path.pop();
      ctx.types.pop();
      ctx.conditions.pop();
      ctx.levels.pop();
      continue;
    }
    const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? ctx.fragments.get(selection.name.value) : undefined;
    if (selection.kind === Kind.FRAGMENT_SPREAD && (!fragment || visiting.has(fragment.name.value))) continue;
    const typeCondition = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : fragment!.typeCondition;
    const inner = typeCondition ? compositeType(ctx, typeCondition.name.value) : scope;
    if (!inner) continue;
    if (fragment) visiting.add(fragment.name.value);
    const body = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragment!.selectionSet;
    reportAll(ctx, body, inner, intersect(ctx, inner, only), level, code, coordinate, visiting);
    if (fragment) visiting.delete(fragment.name.value);
  }
}

function compositeType(ctx: Context, name: string): GraphQLCompositeType | undefined {
  const type = ctx.policy.schema.getType(name);
  return type && isCompositeType(type) ? type : undefined;
}

function runtimeTypes(ctx: Context, type: GraphQLCompositeType): readonly GraphQLObjectType[] {
  return isAbstractType(type) ? ctx.policy.schema.getPossibleTypes(type) : [type];
}

function intersect(
  ctx: Context,
  condition: GraphQLCompositeType,
  only: ReadonlySet<string> | null,
): ReadonlySet<string> {
  const names = new Set<string>();
  for (const type of runtimeTypes(ctx, condition)) if (!only || only.has(type.name)) names.add(type.name);
  return names;
}

/** The runtime types a type condition leaves, or null when it leaves every type of the field. */
function narrow(
  ctx: Context,
  condition: GraphQLCompositeType,
  scope: GraphQLCompositeType,
  fieldType: GraphQLCompositeType,
  only: ReadonlySet<string> | null,
): ReadonlySet<string> | null {
  if (condition === scope) return only;
  const names = intersect(ctx, condition, only);
  const all = runtimeTypes(ctx, fieldType);
  return all.every((type) => names.has(type.name)) ? null : names;
}

function usedFragments(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          visit(fragment.selectionSet);
        }
      } else if (selection.selectionSet) {
        visit(selection.selectionSet);
      }
    }
  };
  visit(operation.selectionSet);
  return [...used.values()];
}
