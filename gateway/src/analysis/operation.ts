import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Viewer } from '@brigade/platform';
import { filterSelectedOperation, type FilterResult } from '../authorization/filter.js';
import { permissionClass, seesEverything, type AuthorizationPolicy } from '../authorization/policy.js';
import type { CostModel, ListSize } from './costModel.js';
import { isSkipped, rootTypeOf, selectOperation, type Variables } from './document.js';

export type ExceededLimit = 'rootFields' | 'selections' | 'cost';

export interface AnalysisLimits {
  /** Top-level fields of the operation, every fragment counted once per spread (`MAX_ROOT_FIELDS`). */
  readonly maxRootFields: number;
  /**
   * Field selections of the whole operation, every fragment counted once per spread (`MAX_SELECTIONS`): what
   * the query planner works through, which it does not memoise when fragments mix with inline fragments.
   */
  readonly maxSelections: number;
  /** Estimated cost, see `fieldCost` (`MAX_COST`). */
  readonly maxCost: number;
  /** Length assumed for a list without `@listSize` (`COST_DEFAULT_LIST_SIZE`). */
  readonly defaultListSize: number;
}

/** Everything the gateway's rules need to know about one operation, computed once. */
export interface OperationAnalysis {
  readonly operation: OperationDefinitionNode;
  /** Root fields as a naive expansion would count them; only a lower bound once a limit was exceeded. */
  readonly rootFields: number;
  /** Field selections at every depth, as a naive expansion would count them (a lower bound once exceeded). */
  readonly selections: number;
  /** Estimated cost; only a lower bound once a limit was exceeded. */
  readonly cost: number;
  /** Root fields by name, each alias and each spread counted (the credential-field budgets read it). */
  readonly rootFieldsByName: ReadonlyMap<string, number>;
  /** The first limit found exceeded: the analysis stopped there. */
  readonly exceeded?: ExceededLimit;
  /** What `viewer` may not see of this operation (cached per permission class). */
  authorization(viewer: Viewer): FilterResult;
}

/** The parts of a loaded supergraph the analysis reads. */
export interface SupergraphModel {
  readonly policy: AuthorizationPolicy;
  readonly cost: CostModel;
}

/** Beyond this many variable combinations of one document, analyses are computed but not kept. */
const MAX_VARIANTS_PER_DOCUMENT = 32;
const MISSING = '\u0000missing';

interface DocumentEntry {
  /** Variables whose values can change an analysis: `@skip`/`@include` conditions and slicing arguments. */
  readonly relevant: readonly string[];
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly analyses: Map<string, OperationAnalysis | null>;
}

/**
 * One analysis per document, operation and relevant variable values, for one loaded supergraph. Each
 * fragment definition is summarised once per context and reused at every spread — never expanded — so
 * the work is linear in the document's text however the fragments multiply; the numbers themselves are
 * those of the naive expansion (a fragment spread twice counts twice).
 */
export class OperationAnalyzer {
  private readonly documents = new WeakMap<DocumentNode, DocumentEntry>();

  constructor(
    readonly model: SupergraphModel,
    private readonly limits: AnalysisLimits,
  ) {}

  /** Undefined when the document has no such operation (Apollo reports that itself). */
  analyse(document: DocumentNode, operationName: string | null | undefined, variables: Variables = {}): OperationAnalysis | undefined {
    let entry = this.documents.get(document);
    if (!entry) this.documents.set(document, (entry = this.entryOf(document)));
    const values = entry.relevant.map((name) => (Object.hasOwn(variables, name) ? variables[name] : MISSING));
    const key = `${operationName ?? ''}\n${JSON.stringify(values)}`;
    let analysis = entry.analyses.get(key);
    if (analysis === undefined) {
      analysis = this.compute(document, entry.fragments, operationName, variables);
      if (entry.analyses.size < MAX_VARIANTS_PER_DOCUMENT) entry.analyses.set(key, analysis);
    }
    return analysis ?? undefined;
  }

  private entryOf(document: DocumentNode): DocumentEntry {
    const relevant = new Set<string>();
    const fragments = new Map<string, FragmentDefinitionNode>();
    const slicing = this.model.cost.slicingArguments;
    // One pass over the text: each definition is visited once, spreads are not followed.
    visit(document, {
      FragmentDefinition(node) {
        fragments.set(node.name.value, node);
      },
      Directive(node) {
        if (node.name.value !== 'skip' && node.name.value !== 'include') return;
        for (const argument of node.arguments ?? []) {
          if (argument.value.kind === Kind.VARIABLE) relevant.add(argument.value.name.value);
        }
      },
      Field(node) {
        for (const argument of node.arguments ?? []) {
          if (argument.value.kind === Kind.VARIABLE && slicing.has(argument.name.value)) relevant.add(argument.value.name.value);
        }
      },
    });
    return { relevant: [...relevant].sort(), fragments, analyses: new Map() };
  }

  private compute(
    document: DocumentNode,
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    operationName: string | null | undefined,
    variables: Variables,
  ): OperationAnalysis | null {
    const operation = selectOperation(document, operationName);
    if (!operation) return null;
    const schema = this.model.policy.schema;
    const root = rootTypeOf(schema, operation);
    const walk = new Walk(schema, this.model.cost, fragments, operation, variables, this.limits, root);
    let summary: Summary = EMPTY;
    let exceeded: ExceededLimit | undefined;
    if (root) {
      try {
        summary = walk.root(operation.selectionSet);
      } catch (error) {
        if (!(error instanceof LimitExceeded)) throw error;
        exceeded = error.limit;
        summary = walk.partial;
      }
    }
    const policy = this.model.policy;
    const byClass = new Map<string, FilterResult>();
    return {
      operation,
      rootFields: summary.count,
      selections: summary.total,
      cost: summary.cost,
      rootFieldsByName: summary.byName ?? new Map(),
      ...(exceeded ? { exceeded } : {}),
      authorization(viewer) {
        if (seesEverything(policy, viewer)) return filterSelectedOperation(policy, document, operation, viewer, variables);
        const key = permissionClass(policy, viewer);
        let result = byClass.get(key);
        if (!result) byClass.set(key, (result = filterSelectedOperation(policy, document, operation, viewer, variables)));
        return result;
      },
    };
  }
}

interface Summary {
  /** Fields of this selection set (naive expansion). */
  readonly count: number;
  /** Fields of this selection set and everything below it (naive expansion). */
  readonly total: number;
  readonly cost: number;
  /** Fields of the root type selected here, by name. */
  readonly byName: ReadonlyMap<string, number> | undefined;
}

const EMPTY: Summary = Object.freeze({ count: 0, total: 0, cost: 0, byName: undefined });

class LimitExceeded extends Error {
  constructor(readonly limit: ExceededLimit) {
    super(limit);
  }
}

type Sized = ReadonlyMap<string, number>;
const NOTHING = Object.freeze({ cost: 0, total: 0 });
const NOT_SIZED: Sized = new Map();

/**
 * Brigade's paginated fields serve at most this many items whatever `first` asks (orders caps pages at 100),
 * so a larger slicing argument costs what it can actually return instead of refusing the operation.
 */
const SLICE_CAP = 100;

class Walk {
  /** Summary of each fragment per sizing context: a spread costs a lookup once its fragment is known. */
  private readonly memo = new Map<string, Summary>();
  private readonly visiting = new Set<string>();
  /** What the root selection had counted when a limit stopped the walk. */
  partial: Summary = EMPTY;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly model: CostModel,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly operation: OperationDefinitionNode,
    private readonly variables: Variables,
    private readonly limits: AnalysisLimits,
    private readonly rootType: GraphQLObjectType | undefined,
  ) {}

  root(selectionSet: SelectionSetNode): Summary {
    return this.selectionSet(selectionSet, this.rootType!, NOT_SIZED, true);
  }

  /**
   * Estimated cost, the way Apollo Router's demand control counts it: an object costs 1, a scalar or enum 0
   * (unless `@cost` says otherwise), and a list multiplies what it contains by its size — the value of its
   * slicing argument, else `@listSize(assumedSize)`, else the default list size; never less than one.
   * `sizedFields` move that size onto the named child lists (connections: `edges`). Fragments on abstract
   * types are added up, an upper bound. Every part is non-negative and every factor at least one, so a part
   * over the limit means the whole is: the walk stops there.
   */
  private selectionSet(selectionSet: SelectionSetNode, parent: GraphQLNamedType, sized: Sized, isRoot: boolean): Summary {
    let count = 0;
    let total = 0;
    let cost = 0;
    let byName: Map<string, number> | undefined;
    const add = (summary: Summary, times = 1) => {
      count += summary.count * times;
      total += summary.total * times;
      cost += summary.cost * times;
      if (summary.byName) {
        byName ??= new Map();
        for (const [name, n] of summary.byName) byName.set(name, (byName.get(name) ?? 0) + n * times);
      }
    };
    for (const selection of selectionSet.selections) {
      if (isSkipped(selection.directives, this.operation, this.variables)) continue;
      if (selection.kind === Kind.FIELD) {
        count++;
        total++;
        const name = selection.name.value;
        if (parent === this.rootType) {
          byName ??= new Map();
          byName.set(name, (byName.get(name) ?? 0) + 1);
        }
        const field = this.field(selection, parent, sized);
        cost += field.cost;
        total += field.total;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        if (type) add(this.selectionSet(selection.selectionSet, type, sized, false));
      } else {
        add(this.fragment(selection.name.value, sized));
      }
      if (isRoot && count > this.limits.maxRootFields) this.stop('rootFields', isRoot, { count, total, cost, byName });
      if (total > this.limits.maxSelections) this.stop('selections', isRoot, { count, total, cost, byName });
      if (cost > this.limits.maxCost) this.stop('cost', isRoot, { count, total, cost, byName });
    }
    return { count, total, cost, byName };
  }

  private stop(limit: ExceededLimit, isRoot: boolean, partial: Summary): never {
    if (isRoot) this.partial = partial;
    throw new LimitExceeded(limit);
  }

  private fragment(name: string, sized: Sized): Summary {
    const key = sized.size === 0 ? name : `${name}\n${[...sized].map(([f, n]) => `${f}=${n}`).join(',')}`;
    const known = this.memo.get(key);
    if (known) return known;
    const fragment = this.fragments.get(name);
    // Unknown fragments and cycles are validation errors, reported before any analysis runs.
    if (!fragment || this.visiting.has(key)) return EMPTY;
    const type = this.schema.getType(fragment.typeCondition.name.value);
    if (!type) return EMPTY;
    this.visiting.add(key);
    const summary = this.selectionSet(fragment.selectionSet, type, sized, false);
    this.visiting.delete(key);
    this.memo.set(key, summary);
    return summary;
  }

  /** The cost of one field and the selections below it. */
  private field(node: FieldNode, parent: GraphQLNamedType, sized: Sized): { cost: number; total: number } {
    if (node.name.value.startsWith('__')) return NOTHING;
    if (!isObjectType(parent) && !isInterfaceType(parent)) return NOTHING;
    const field = parent.getFields()[node.name.value];
    if (!field) return NOTHING;
    const named = getNamedType(field.type);
    const weight = this.model.fieldWeight(parent.name, field.name) ?? this.model.typeWeight(named.name) ?? (isCompositeType(named) ? 1 : 0);
    const listSize = this.model.listSize(parent.name, field.name);
    const size = listSize ? this.sizeFrom(node, field, listSize) : undefined;
    let childSized = NOT_SIZED;
    if (size !== undefined && listSize?.sizedFields?.length) {
      childSized = new Map(listSize.sizedFields.map((child) => [child, size]));
    }
    const children = node.selectionSet ? this.selectionSet(node.selectionSet, named, childSized, false) : EMPTY;
    let cost = weight + children.cost;
    // Each list level multiplies; the outermost one takes the size that @listSize or the parent decided.
    let type = getNullableType(field.type);
    let first = true;
    while (isListType(type)) {
      const levelSize = first
        ? (sized.get(field.name) ?? (listSize?.sizedFields?.length ? undefined : size) ?? this.limits.defaultListSize)
        : this.limits.defaultListSize;
      cost *= Math.max(1, levelSize);
      first = false;
      type = getNullableType(type.ofType);
    }
    return { cost, total: children.total };
  }

  /** The largest slicing argument given (literal, variable or the argument's default), else the assumed size. */
  private sizeFrom(node: FieldNode, field: GraphQLField<unknown, unknown>, listSize: ListSize): number | undefined {
    let size: number | undefined;
    for (const name of listSize.slicingArguments ?? []) {
      const value = this.argumentValue(node, field, name);
      if (typeof value === 'number' && Number.isFinite(value)) size = Math.max(size ?? 0, Math.min(value, SLICE_CAP));
    }
    return size ?? listSize.assumedSize;
  }

  private argumentValue(node: FieldNode, field: GraphQLField<unknown, unknown>, name: string): unknown {
    const given = node.arguments?.find((a) => a.name.value === name);
    if (!given) return field.args.find((a) => a.name === name)?.defaultValue;
    if (given.value.kind === Kind.VARIABLE) {
      const variable = given.value.name.value;
      if (Object.hasOwn(this.variables, variable)) return this.variables[variable];
      const definition = this.operation.variableDefinitions?.find((d) => d.variable.name.value === variable);
      return definition?.defaultValue
        ? valueFromASTUntyped(definition.defaultValue)
        : field.args.find((a) => a.name === name)?.defaultValue;
    }
    return valueFromASTUntyped(given.value);
  }
}
