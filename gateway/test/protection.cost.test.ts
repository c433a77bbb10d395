import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CostModel } from '../src/analysis/index.js';
import { OperationAnalyzer } from '../src/analysis/operation.js';

const SDL = `
  directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT | SCALAR | ENUM
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!]) on FIELD_DEFINITION
  type Query {
    items: [Item!]! @listSize(assumedSize: 50)
    tags: [String!]!
    orders(first: Int = 20): OrderConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
    report: Report
  }
  type Item { id: ID!  price: Money!  expensive: Int @cost(weight: 7) }
  type Money { amount: Int! }
  type Report @cost(weight: 30) { total: Int }
  type OrderConnection { edges: [OrderEdge!]!  total: Int }
  type OrderEdge { node: Item! }
`;
const policy = {
  schema: buildSchema(SDL),
  fields: new Map(),
  types: new Map(),
  allScopes: [],
  relevantScopes: [],
  needsUserSomewhere: false,
};
const analyzer = new OperationAnalyzer(
  { policy, cost: CostModel.fromSupergraph(SDL) },
  { maxRootFields: 1_000, maxSelections: 1_000, maxCost: 1_000_000, defaultListSize: 10 },
);
const cost = (query: string, variables: Record<string, unknown> = {}) => analyzer.analyse(parse(query), undefined, variables)!.cost;

describe('operation cost from @cost / @listSize', () => {
  it('when objects and scalars are selected, then objects cost 1, scalars 0, lists multiply by assumedSize or the default', () => {
    expect(cost('{ items { id } }')).toBe(50);
    expect(cost('{ items { id price { amount } } }')).toBe(100);
    expect(cost('{ tags }')).toBe(0);
    expect(cost('{ items { expensive } }')).toBe(50 * 8);
    expect(cost('{ report { total } }')).toBe(30);
  });

  it('when a connection is sliced, then the slicing argument (literal, variable or default) sizes its edges', () => {
    expect(cost('{ orders(first: 5) { edges { node { id } } } }')).toBe(1 + 5 * 2);
    expect(cost('query($n: Int) { orders(first: $n) { edges { node { id } } } }', { n: 100 })).toBe(1 + 100 * 2);
    expect(cost('{ orders { edges { node { id } } } }')).toBe(1 + 20 * 2);
  });

  it('when the slicing argument asks more than a page can hold, then it costs one full page, not the ask', () => {
    expect(cost('{ orders(first: 100000) { edges { node { id } } } }')).toBe(1 + 100 * 2);
  });

  it('when fragments are used, then their selections are counted like inline ones', () => {
    expect(cost('{ items { ...F } } fragment F on Item { price { amount } }')).toBe(100);
  });
});
