import { parse, valueFromASTUntyped, type DirectiveNode } from 'graphql';

export interface ListSize {
  readonly assumedSize?: number;
  readonly slicingArguments?: readonly string[];
  readonly sizedFields?: readonly string[];
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
    /** Every slicing argument name: a variable passed to one of them can change an operation's cost. */
    readonly slicingArguments: ReadonlySet<string>,
  ) {}

  static empty(): CostModel {
    return new CostModel(new Map(), new Map(), new Map(), new Set());
  }

  static fromSupergraph(sdl: string): CostModel {
    const fieldWeights = new Map<string, number>();
    const typeWeights = new Map<string, number>();
    const listSizes = new Map<string, ListSize>();
    const slicing = new Set<string>();
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
        if (!listSize) continue;
        const size = readArguments(listSize) as ListSize;
        listSizes.set(key, size);
        for (const name of size.slicingArguments ?? []) slicing.add(name);
      }
    }
    return new CostModel(fieldWeights, typeWeights, listSizes, slicing);
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
  // A negative weight would let one field pay for another; it counts as free instead.
  return typeof weight === 'number' ? Math.max(0, weight) : undefined;
}

function readArguments(directive: DirectiveNode): Record<string, unknown> {
  return Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
}
