import type { ApolloServerPlugin } from '@apollo/server';
import {
  Kind,
  parse,
  valueFromASTUntyped,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { graphqlRuntime } from './graphqlRuntime.js';
import { LIMIT_EXCEEDED_MESSAGE } from './operationLimits.js';

const { getNamedType, getNullableType, GraphQLError, isCompositeType, isInterfaceType, isListType, isObjectType } = graphqlRuntime;

export interface CostOptions {
  /** `MAX_COST` (default 5000). */
  maxCost?: number;
  /** `COST_DEFAULT_LIST_SIZE` (default 10): length assumed for a list without `@listSize`. */
  defaultListSize?: number;
  /** Say the cost and the limit in the error (development). */
  exposeLimits?: boolean;
  onReject?: (limit: string) => void;
}

interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
}

/**
 * The `@cost` and `@listSize` applications of a supergraph (composition keeps them, as Apollo Router's demand
 * control reads them): weights by `Type.field` and by type, list sizes by `Type.field`.
 */
export class CostModel {
  private constructor(
    private readonly fieldWeights: ReadonlyMap<string, number>,
    private readonly typeWeights: ReadonlyMap<string, number>,
    private readonly listSizes: ReadonlyMap<string, ListSize>,
  ) {}

  static empty(): CostModel {
    return new CostModel(new Map(), new Map(), new Map());
  }

  static fromSupergraph(sdl: string): CostModel {
    const fieldWeights = new Map<string, number>();
    const typeWeights = new Map<string, number>();
    const listSizes = new Map<string, ListSize>();
    for (const definition of parse(sdl, { noLocation: true }).definitions) {
      if (!('name' in definition) || !definition.name || !('directives' in definition)) continue;
      const typeName = definition.name.value;
      const weight = weightOf(definition.directives);
      if (weight !== undefined) typeWeights.set(typeName, weight);
      if (!('fields' in definition) || !definition.fields) continue;
      for (const field of definition.fields) {
        const key = `${typeName}.${field.name.value}`;
        const fieldWeight = weightOf(field.directives);
        if (fieldWeight !== undefined) fieldWeights.set(key, fieldWeight);
        const listSize = field.directives?.find((d) => isDirective(d, 'listSize'));
        if (listSize) listSizes.set(key, readArguments(listSize) as ListSize);
      }
    }
    return new CostModel(fieldWeights, typeWeights, listSizes);
  }

  fieldWeight(type: string, field: string): number | undefined {
    return this.fieldWeights.get(`${type}.${field}`);
  }

  typeWeight(type: string): number | undefined {
    return this.typeWeights.get(type);
  }

  listSize(type: string, field: string): ListSize | undefined {
    return this.listSizes.get(`${type}.${field}`);
  }
}

/** `@cost` or a renamed import of it (`@cost__cost`) as composition may write it. */
function isDirective(directive: DirectiveNode, name: string): boolean {
  return directive.name.value === name || directive.name.value === `cost__${name}`;
}

function weightOf(directives: readonly DirectiveNode[] | undefined): number | undefined {
  const cost = directives?.find((d) => isDirective(d, 'cost'));
  const weight = cost && readArguments(cost).weight;
  return typeof weight === 'number' ? weight : undefined;
}

function readArguments(directive: DirectiveNode): Record<string, unknown> {
  return Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
}

interface Walk {
  schema: GraphQLSchema;
  model: CostModel;
  document: DocumentNode;
  variables: Record<string, unknown>;
  operation: OperationDefinitionNode;
  defaultListSize: number;
  usedVariables: boolean;
}

/**
 * Estimated cost of an operation, the way Apollo Router's demand control counts it: an object costs 1, a
 * scalar or enum 0 (unless `@cost` says otherwise), and a list multiplies what it contains by its size —
 * the value of its slicing argument, else `@listSize(assumedSize)`, else the default list size. `sizedFields`
 * move that size onto the named child lists (connections: `edges`). Fragments on abstract types are added
 * up, an upper bound.
 */
export function operationCost(
  schema: GraphQLSchema,
  model: CostModel,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
  defaultListSize = 10,
): { cost: number; usedVariables: boolean } {
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return { cost: 0, usedVariables: false };
  const walk: Walk = { schema, model, document, variables, operation, defaultListSize, usedVariables: false };
  const cost = selectionCost(walk, operation.selectionSet, root, new Map(), new Set());
  return { cost, usedVariables: walk.usedVariables };
}

function selectionCost(
  walk: Walk,
  selectionSet: SelectionSetNode,
  parent: GraphQLNamedType,
  sized: ReadonlyMap<string, number>,
  fragments: ReadonlySet<string>,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(walk, selection, parent, sized);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parent;
      if (type) total += selectionCost(walk, selection.selectionSet, type, sized, fragments);
    } else if (!fragments.has(selection.name.value)) {
      const fragment = walk.document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind !== Kind.FRAGMENT_DEFINITION) continue;
      const type = walk.schema.getType(fragment.typeCondition.name.value);
      if (type) {
        total += selectionCost(walk, fragment.selectionSet, type, sized, new Set([...fragments, selection.name.value]));
      }
    }
  }
  return total;
}

function fieldCost(walk: Walk, node: FieldNode, parent: GraphQLNamedType, sized: ReadonlyMap<string, number>): number {
  if (node.name.value.startsWith('__')) return 0;
  if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
  const field = parent.getFields()[node.name.value];
  if (!field) return 0;
  const named = getNamedType(field.type);
  const weight =
    walk.model.fieldWeight(parent.name, field.name) ??
    walk.model.typeWeight(named.name) ??
    (isCompositeType(named) ? 1 : 0);
  const listSize = walk.model.listSize(parent.name, field.name);
  const size = listSize ? sizeFrom(walk, node, field, listSize) : undefined;
  const childSized = new Map<string, number>();
  if (size !== undefined && listSize?.sizedFields?.length) {
    for (const child of listSize.sizedFields) childSized.set(child, size);
  }
  const children = node.selectionSet ? selectionCost(walk, node.selectionSet, named, childSized, new Set()) : 0;
  let cost = weight + children;
  // Each list level multiplies; the outermost one takes the size that @listSize or the parent decided.
  let type = getNullableType(field.type);
  let first = true;
  while (isListType(type)) {
    const levelSize = first
      ? (sized.get(field.name) ?? (listSize?.sizedFields?.length ? undefined : size) ?? walk.defaultListSize)
      : walk.defaultListSize;
    cost *= levelSize;
    first = false;
    type = getNullableType(type.ofType);
  }
  return cost;
}

/**
 * Brigade's paginated fields serve at most this many items whatever `first` asks (orders caps pages at 100),
 * so a larger slicing argument costs what it can actually return instead of refusing the operation.
 */
const SLICE_CAP = 100;

/** The largest slicing argument given (literal, variable or the argument's default), else the assumed size. */
function sizeFrom(walk: Walk, node: FieldNode, field: GraphQLField<unknown, unknown>, listSize: ListSize): number | undefined {
  let size: number | undefined;
  for (const name of listSize.slicingArguments ?? []) {
    const value = argumentValue(walk, node, field, name);
    if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, Math.min(value, SLICE_CAP));
  }
  return size ?? listSize.assumedSize;
}

function argumentValue(walk: Walk, node: FieldNode, field: GraphQLField<unknown, unknown>, name: string): unknown {
  const given = node.arguments?.find((a) => a.name.value === name);
  if (!given) return field.args.find((a) => a.name === name)?.defaultValue;
  if (given.value.kind === Kind.VARIABLE) {
    const variable = given.value.name.value;
    walk.usedVariables = true;
    if (variable in walk.variables) return walk.variables[variable];
    const definition = walk.operation.variableDefinitions?.find((d) => d.variable.name.value === variable);
    return definition?.defaultValue ? valueFromASTUntyped(definition.defaultValue) : field.args.find((a) => a.name === name)?.defaultValue;
  }
  return valueFromASTUntyped(given.value);
}

/**
 * Refuses operations whose estimated cost is over the limit, after validation and before planning. It runs
 * per request because slicing arguments may be variables; a document without such variables is costed once
 * (Apollo hands back the same cached document object).
 */
export function costLimitPlugin(model: () => CostModel, options: CostOptions = {}): ApolloServerPlugin {
  const maxCost = options.maxCost ?? 5_000;
  const defaultListSize = options.defaultListSize ?? 10;
  const known = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request }) {
          if (!operation) return;
          const key = operation.name?.value ?? '';
          let cost = known.get(document)?.get(key);
          if (cost === undefined) {
            const result = operationCost(schema, model(), document, operation, request.variables ?? {}, defaultListSize);
            cost = result.cost;
            if (!result.usedVariables) {
              const costs = known.get(document) ?? new Map<string, number>();
              costs.set(key, cost);
              known.set(document, costs);
            }
          }
          if (cost <= maxCost) return;
          options.onReject?.('cost');
          throw new GraphQLError(
            options.exposeLimits ? `Operation cost ${cost} exceeds the limit of ${maxCost}.` : LIMIT_EXCEEDED_MESSAGE,
            { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } },
          );
        },
      };
    },
  };
}
