import { ErrorCode } from '@brigade/platform';
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
import { deny, permissionClass, seesEverything, type AuthorizationPolicy, type DenialCode } from './policy.js';
import { isSkipped, rootTypeOf, selectOperation, type Variables } from '../analysis/document.js';

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
 * Router's `@authenticated` / `@requiresScopes` semantics); selections skipped by `@skip`/`@include`
 * are left alone (they are absent from the response, so nothing is denied). Pure; results are cached
 * per document object, permission class and variables, so callers must treat them as immutable.
 * The gateway reaches this through its operation analysis (analysis/operation.ts), which caches it.
 */
export function filterOperation(
  policy: AuthorizationPolicy,
  document: DocumentNode,
  operationName: string | null | undefined,
  viewer: Viewer,
  variables: Variables = {},
): FilterResult {
  if (seesEverything(policy, viewer)) return unchanged(document);
  let byDocument = caches.get(policy);
  if (!byDocument) caches.set(policy, (byDocument = new WeakMap()));
  let byClass = byDocument.get(document);
  if (!byClass) byDocument.set(document, (byClass = new Map()));
  const key = `${operationName ?? ''}\n${permissionClass(policy, viewer)}\n${JSON.stringify(variables)}`;
  let result = byClass.get(key);
  if (!result) {
    const operation = selectOperation(document, operationName);
    byClass.set(key, (result = operation ? filterSelectedOperation(policy, document, operation, viewer, variables) : unchanged(document)));
  }
  return result;
}

function unchanged(document: DocumentNode): FilterResult {
  return { document, removals: NO_REMOVALS, permissionKey: '', empty: false, typenamePaths: NO_PATHS };
}

interface Level {
  needsTypename: boolean;
}

/** What filtering one fragment in one context left: reused at every spread of it in that context. */
interface FragmentUse {
  readonly selectionSet: SelectionSetNode | null;
  /** The definition to spread instead of the original when the selection changed. */
  readonly variant?: FragmentDefinitionNode;
  /** Relative to the spread's position. */
  readonly removals: readonly Removal[];
  readonly typenamePaths: readonly (readonly string[])[];
  /** A removal under a type condition at the spread's own level: that level must ask for `__typename`. */
  readonly needsTypename: boolean;
  /** Codes of every removal attempted inside, duplicates included (the first one explains an emptied parent). */
  readonly firstCode?: DenialCode;
}

/** Shared by the whole filtering of one operation. */
interface Shared {
  readonly policy: AuthorizationPolicy;
  readonly viewer: Viewer;
  readonly operation: OperationDefinitionNode;
  readonly variables: Variables;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** Each fragment filtered once per (fieldType, narrowed runtime types). */
  readonly uses: Map<string, FragmentUse>;
  /** Each protected fragment's reported fields once per narrowed runtime types. */
  readonly reported: Map<string, readonly Reported[]>;
  readonly variants: Map<string, FragmentDefinitionNode>;
  readonly names: Set<string>;
}

/** A field a protected fragment selected, relative to the fragment's level. */
interface Reported {
  readonly key: string;
  readonly type: GraphQLOutputType;
  readonly only: ReadonlySet<string> | null;
}

/** One selection being filtered, with path stacks relative to where it started (root or a fragment). */
interface Context {
  readonly shared: Shared;
  readonly removals: Removal[];
  readonly seen: Set<string>;
  readonly typenamePaths: string[][];
  readonly seenPaths: Set<string>;
  // Stacks describing the field path being visited, one entry per response-path segment.
  readonly path: string[];
  readonly types: GraphQLOutputType[];
  readonly conditions: (ReadonlySet<string> | null)[];
  readonly levels: Level[];
  /** Code of every removal attempted, duplicates included, so an emptied parent can say why. */
  readonly codes: DenialCode[];
}

function newContext(shared: Shared): Context {
  return {
    shared,
    removals: [],
    seen: new Set(),
    typenamePaths: [],
    seenPaths: new Set(),
    path: [],
    types: [],
    conditions: [],
    levels: [],
    codes: [],
  };
}

export function filterSelectedOperation(
  policy: AuthorizationPolicy,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  viewer: Viewer,
  variables: Variables,
): FilterResult {
  if (seesEverything(policy, viewer)) return unchanged(document);
  const root = rootTypeOf(policy.schema, operation);
  // Unknown root: execution reports it; nothing of ours to hide.
  if (!root) return unchanged(document);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const shared: Shared = {
    policy,
    viewer,
    operation,
    variables,
    fragments,
    uses: new Map(),
    reported: new Map(),
    variants: new Map(),
    names: new Set(fragments.keys()),
  };
  const ctx = newContext(shared);
  const selectionSet = filterSelectionSet(ctx, operation.selectionSet, root, root, null, { needsTypename: false });
  if (selectionSet === operation.selectionSet) return unchanged(document);
  const permissionKey = [...new Set(ctx.removals.filter((r) => !r.emptied).map((r) => r.coordinate))].sort().join(',');
  if (selectionSet === null) {
    return { document, removals: ctx.removals, permissionKey, empty: true, typenamePaths: NO_PATHS };
  }
  const filtered: OperationDefinitionNode = { ...operation, selectionSet };
  const all = new Map([...fragments, ...shared.variants]);
  return {
    document: { kind: Kind.DOCUMENT, definitions: [filtered, ...usedFragments(filtered, all)] },
    removals: ctx.removals,
    permissionKey,
    empty: false,
    typenamePaths: ctx.typenamePaths,
  };
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
    // Skipped: absent from the response whatever it selects, so nothing in it is denied.
    const replacement = isSkipped(selection.directives, ctx.shared.operation, ctx.shared.variables)
      ? selection
      : filterSelection(ctx, selection, scope, fieldType, only, level);
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
      const condition = selection.typeCondition ? compositeType(ctx, selection.typeCondition.name.value) : scope;
      if (!condition) return selection;
      const narrowed = narrow(ctx, condition, scope, fieldType, only);
      if (denyType(ctx, condition, selection.selectionSet, narrowed, level)) return null;
      const selectionSet = filterSelectionSet(ctx, selection.selectionSet, condition, fieldType, narrowed, level);
      if (selectionSet === selection.selectionSet) return selection;
      return selectionSet && { ...selection, selectionSet };
    }
    case Kind.FRAGMENT_SPREAD: {
      const fragment = ctx.shared.fragments.get(selection.name.value);
      const condition = fragment && compositeType(ctx, fragment.typeCondition.name.value);
      if (!fragment || !condition) return selection;
      const narrowed = narrow(ctx, condition, scope, fieldType, only);
      const use = fragmentUse(ctx.shared, fragment, condition, fieldType, narrowed);
      merge(ctx, use, level);
      if (use.selectionSet === fragment.selectionSet) return selection;
      // This use of the fragment differs from the definition: spread the filtered variant, defined once
      // for every spread in the same context (inlining it at each spread would multiply the document).
      return use.variant ? { ...selection, name: use.variant.name } : null;
    }
  }
}

/** Filters `fragment` once for this context; later spreads in the same context reuse the result. */
function fragmentUse(
  shared: Shared,
  fragment: FragmentDefinitionNode,
  condition: GraphQLCompositeType,
  fieldType: GraphQLCompositeType,
  narrowed: ReadonlySet<string> | null,
): FragmentUse {
  const key = `${fragment.name.value}\n${fieldType.name}\n${narrowed ? [...narrowed].sort().join(',') : '*'}`;
  const known = shared.uses.get(key);
  if (known) return known;
  // A cycle is a validation error reported before filtering; answer it as unchanged.
  shared.uses.set(key, { selectionSet: fragment.selectionSet, removals: NO_REMOVALS, typenamePaths: NO_PATHS, needsTypename: false });
  const ctx = newContext(shared);
  const level: Level = { needsTypename: false };
  let selectionSet: SelectionSetNode | null;
  if (denyType(ctx, condition, fragment.selectionSet, narrowed, level)) selectionSet = null;
  else selectionSet = filterSelectionSet(ctx, fragment.selectionSet, condition, fieldType, narrowed, level);
  let variant: FragmentDefinitionNode | undefined;
  if (selectionSet && selectionSet !== fragment.selectionSet) {
    let name = `${fragment.name.value}_authz${shared.variants.size + 1}`;
    while (shared.names.has(name)) name += '_';
    shared.names.add(name);
    variant = { ...fragment, name: { kind: Kind.NAME, value: name }, selectionSet };
    shared.variants.set(name, variant);
  }
  const use: FragmentUse = {
    selectionSet,
    ...(variant ? { variant } : {}),
    removals: ctx.removals,
    typenamePaths: ctx.typenamePaths,
    needsTypename: level.needsTypename,
    ...(ctx.codes[0] ? { firstCode: ctx.codes[0] } : {}),
  };
  shared.uses.set(key, use);
  return use;
}

/** Adds what a fragment removed, relative to the spread, at the current position. */
function merge(ctx: Context, use: FragmentUse, level: Level): void {
  if (use.needsTypename) level.needsTypename = true;
  if (use.firstCode) ctx.codes.push(use.firstCode);
  for (const removal of use.removals) {
    const conditions = removal.conditions ?? removal.path.map(() => null);
    markConditionalLevels(ctx);
    add(ctx, {
      path: [...ctx.path, ...removal.path],
      code: removal.code,
      coordinate: removal.coordinate,
      types: [...ctx.types, ...removal.types],
      ...(removal.conditions || ctx.conditions.some(Boolean) ? { conditions: [...ctx.conditions, ...conditions] } : {}),
      ...(removal.emptied ? { emptied: true as const } : {}),
    });
  }
  for (const path of use.typenamePaths) addTypenamePath(ctx, [...ctx.path, ...path]);
}

function add(ctx: Context, removal: Removal): void {
  const conditions = removal.conditions?.map((c) => (c ? [...c].sort().join('|') : '*')).join('/') ?? '';
  const key = `${removal.path.join('\u0000')}\n${removal.code}\n${removal.coordinate}\n${conditions}\n${removal.emptied ? 1 : 0}`;
  if (ctx.seen.has(key)) return;
  ctx.seen.add(key);
  ctx.removals.push(removal);
}

function addTypenamePath(ctx: Context, path: string[]): void {
  const key = path.join('\u0000');
  if (ctx.seenPaths.has(key)) return;
  ctx.seenPaths.add(key);
  ctx.typenamePaths.push(path);
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
  const requirement = ctx.shared.policy.fields.get(coordinate);
  const code = requirement && deny(requirement, ctx.shared.viewer);
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
    const firstChild = ctx.codes.length;
    let selectionSet = filterSelectionSet(ctx, field.selectionSet, named, named, null, childLevel);
    if (selectionSet === null) {
      // Router drops a field whose whole selection was removed; the removed children explain why,
      // unless only unreported selections (`__typename` in a protected fragment) were there.
      const child = ctx.codes[firstChild];
      if (child) record(ctx, child, coordinate, true);
      else record(ctx, ctx.shared.viewer.kind === 'anonymous' ? ErrorCode.Unauthenticated : ErrorCode.Forbidden, coordinate, false);
      return null;
    }
    if (childLevel.needsTypename) {
      addTypenamePath(ctx, [...ctx.path]);
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

/** Marks every level of the current path that sits under a type condition: it must ask for `__typename`. */
function markConditionalLevels(ctx: Context): boolean {
  let conditional = false;
  for (let d = 0; d < ctx.conditions.length; d++) {
    if (ctx.conditions[d]) {
      conditional = true;
      ctx.levels[d]!.needsTypename = true;
    }
  }
  return conditional;
}

/** Records the removal of the field at the top of the path stacks. */
function record(ctx: Context, code: DenialCode, coordinate: string, emptied: boolean): void {
  ctx.codes.push(code);
  const conditional = markConditionalLevels(ctx);
  add(ctx, {
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
  const requirement = ctx.shared.policy.types.get(condition.name);
  const code = requirement && deny(requirement, ctx.shared.viewer);
  if (!code) return false;
  for (const field of reportedFields(ctx.shared, selectionSet, condition, only)) {
    ctx.path.push(field.key);
    ctx.types.push(field.type);
    ctx.conditions.push(field.only);
    ctx.levels.push(level);
    record(ctx, code, condition.name, false);
    ctx.path.pop();
    ctx.types.pop();
    ctx.conditions.pop();
    ctx.levels.pop();
  }
  return true;
}

/** The fields a selection selects at its own level, through fragments (each fragment once per context). */
function reportedFields(
  shared: Shared,
  selectionSet: SelectionSetNode,
  scope: GraphQLCompositeType,
  only: ReadonlySet<string> | null,
): readonly Reported[] {
  const out: Reported[] = [];
  for (const selection of selectionSet.selections) {
    if (isSkipped(selection.directives, shared.operation, shared.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const definition = name === '__typename' || isUnionType(scope) ? undefined : scope.getFields()[name];
      if (definition) out.push({ key: selection.alias?.value ?? name, type: definition.type, only });
      continue;
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const inner = selection.typeCondition ? compositeTypeIn(shared, selection.typeCondition.name.value) : scope;
      if (inner) out.push(...reportedFields(shared, selection.selectionSet, inner, intersectIn(shared, inner, only)));
      continue;
    }
    const fragment = shared.fragments.get(selection.name.value);
    const inner = fragment && compositeTypeIn(shared, fragment.typeCondition.name.value);
    if (!fragment || !inner) continue;
    const narrowed = intersectIn(shared, inner, only);
    const key = `${fragment.name.value}\n${[...narrowed].sort().join(',')}`;
    let fields = shared.reported.get(key);
    if (!fields) {
      shared.reported.set(key, []); // a cycle reports nothing more
      fields = dedupe(reportedFields(shared, fragment.selectionSet, inner, narrowed));
      shared.reported.set(key, fields);
    }
    out.push(...fields);
  }
  return dedupe(out);
}

function dedupe(fields: readonly Reported[]): readonly Reported[] {
  const seen = new Map<string, Reported>();
  for (const field of fields) {
    const key = `${field.key}\n${field.only ? [...field.only].sort().join(',') : '*'}`;
    if (!seen.has(key)) seen.set(key, field);
  }
  return [...seen.values()];
}

function compositeTypeIn(shared: Shared, name: string): GraphQLCompositeType | undefined {
  const type = shared.policy.schema.getType(name);
  return type && isCompositeType(type) ? type : undefined;
}

function intersectIn(shared: Shared, condition: GraphQLCompositeType, only: ReadonlySet<string> | null): ReadonlySet<string> {
  const names = new Set<string>();
  const types = isAbstractType(condition) ? shared.policy.schema.getPossibleTypes(condition) : [condition];
  for (const type of types) if (!only || only.has(type.name)) names.add(type.name);
  return names;
}

function compositeType(ctx: Context, name: string): GraphQLCompositeType | undefined {
  const type = ctx.shared.policy.schema.getType(name);
  return type && isCompositeType(type) ? type : undefined;
}

function runtimeTypes(ctx: Context, type: GraphQLCompositeType): readonly GraphQLObjectType[] {
  return isAbstractType(type) ? ctx.shared.policy.schema.getPossibleTypes(type) : [type];
}

function intersect(ctx: Context, condition: GraphQLCompositeType, only: ReadonlySet<string> | null): ReadonlySet<string> {
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
