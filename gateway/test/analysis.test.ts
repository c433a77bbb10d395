import { composeServices } from '@apollo/composition';
import { ANONYMOUS, userViewer } from '@brigade/platform';
import { Kind, parse, print, visit, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadSupergraphModel } from '../src/analysis/index.js';
import { OperationAnalyzer } from '../src/analysis/operation.js';
import { applyRemovals } from '../src/authorization/index.js';

// Lists sized by @listSize (assumed, sliced, sized fields), an interface with a protected implementation
// field, a protected nested field: enough to tell a memoised analysis from a naive expansion.
const SDL = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes", "@cost", "@listSize"])
type Query {
  items: [Item!]! @listSize(assumedSize: 7)
  shelf(first: Int = 4): ShelfPage! @listSize(slicingArguments: ["first"], sizedFields: ["rows"])
  hello: String
  secret: String @authenticated
}
type Mutation { logIn(name: String): Token! signUp(name: String): Token! }
type Token { value: String }
interface Item { id: ID! name: String! tags: [String!]! }
type Plain implements Item { id: ID! name: String! tags: [String!]! friend: Item }
type Heavy implements Item @cost(weight: 5) { id: ID! name: String! tags: [String!]! parts: [Item!]! note: String @requiresScopes(scopes: [["c"]]) }
type ShelfPage { rows: [Row!]! total: Int }
type Row { cells: [Cell!]! label: String }
type Cell { value: String hidden: String @requiresScopes(scopes: [["c"]]) }
`;
const composed = composeServices([{ name: 'shop', url: 'http://shop.invalid', typeDefs: parse(SDL) }]);
if (!composed.supergraphSdl) throw new Error(composed.errors?.map((e) => e.message).join('; '));
const model = loadSupergraphModel(composed.supergraphSdl);
const UNLIMITED = {
  maxRootFields: Number.MAX_SAFE_INTEGER,
  maxSelections: Number.MAX_VALUE,
  maxCost: Number.MAX_VALUE,
  defaultListSize: 10,
};
const analyzer = new OperationAnalyzer(model, UNLIMITED);

/** The naive expansion: every spread replaced by an inline copy of its fragment, recursively. */
function expand(document: DocumentNode): DocumentNode {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const inline = (node: DocumentNode | FragmentDefinitionNode): typeof node =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value)!;
        return {
          kind: Kind.INLINE_FRAGMENT,
          typeCondition: fragment.typeCondition,
          directives: spread.directives,
          selectionSet: (inline(fragment) as FragmentDefinitionNode).selectionSet,
        };
      },
    });
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  return { kind: Kind.DOCUMENT, definitions: [inline(operation as never) as never] };
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed from its seed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS: Record<string, string[]> = {
  Query: ['items', 'shelf', 'hello', 'secret'],
  Item: ['id', 'name', 'tags'],
  Plain: ['id', 'name', 'tags', 'friend'],
  Heavy: ['id', 'name', 'parts', 'note'],
  ShelfPage: ['rows', 'total'],
  Row: ['cells', 'label'],
  Cell: ['value', 'hidden'],
};
const CHILD: Record<string, string> = { items: 'Item', friend: 'Item', parts: 'Item', shelf: 'ShelfPage', rows: 'Row', cells: 'Cell' };

/** A random document: fragments F0…Fn, each spreading earlier ones of its type, used by one query. */
function randomDocument(seed: number): string {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const fragments: { name: string; type: string; body: string }[] = [];
  const directive = () =>
    next() < 0.2 ? (next() < 0.5 ? ' @skip(if: true)' : ' @include(if: false)') : next() < 0.1 ? ' @include(if: true)' : '';
  const selection = (type: string, depth: number): string => {
    const parts: string[] = [];
    const n = 1 + Math.floor(next() * 3);
    for (let i = 0; i < n; i++) {
      const roll = next();
      const spreadable = fragments.filter((f) => f.type === type);
      if (roll < 0.35 && spreadable.length) {
        parts.push(`...${pick(spreadable).name}${directive()}`);
      } else if (roll < 0.45 && type === 'Item') {
        parts.push(`... on ${pick(['Plain', 'Heavy'])} { id }`);
      } else {
        const field = pick(FIELDS[type]!);
        const alias = next() < 0.3 ? `a${Math.floor(next() * 1000)}: ` : '';
        const args = field === 'shelf' && next() < 0.5 ? `(first: ${Math.floor(next() * 30)})` : '';
        const child = CHILD[field];
        const body = child ? (depth < 3 ? ` { ${selection(child, depth + 1)} }` : ' { __typename }') : '';
        parts.push(`${alias}${field}${args}${directive()}${body}`);
      }
    }
    return parts.join(' ');
  };
  const count = 2 + Math.floor(next() * 5);
  for (let i = 0; i < count; i++) {
    const type = pick(['Query', 'Item', 'Row', 'Cell', 'ShelfPage']);
    fragments.push({ name: `F${i}`, type, body: selection(type, 1) });
  }
  const query =
    selection('Query', 0) +
    ' ' +
    fragments
      .filter((f) => f.type === 'Query')
      .map((f) => `...${f.name}`)
      .join(' ');
  return `query { ${query} } ${fragments.map((f) => `fragment ${f.name} on ${f.type} { ${f.body} }`).join(' ')}`;
}

describe('operation analysis', () => {
  it('when random small documents use fragments, then root fields and cost equal those of the naive expansion', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const document = parse(randomDocument(seed));
      const expanded = expand(document);
      const memoised = analyzer.analyse(document, undefined)!;
      const naive = analyzer.analyse(expanded, undefined)!;
      expect(expanded.definitions).toHaveLength(1);
      expect({ seed, rootFields: memoised.rootFields, selections: memoised.selections, cost: memoised.cost }).toEqual({
        seed,
        rootFields: naive.rootFields,
        selections: naive.selections,
        cost: naive.cost,
      });
      expect(memoised.rootFieldsByName).toEqual(naive.rootFieldsByName);
    }
  });

  it('when the same random documents are filtered for a viewer, then the outcome equals the naive expansion’s', () => {
    const hasA = userViewer('a', 'a');
    for (let seed = 1; seed <= 150; seed++) {
      const document = parse(randomDocument(seed));
      for (const viewer of [ANONYMOUS, hasA]) {
        const memoised = analyzer.analyse(document, undefined)!.authorization(viewer);
        const naive = analyzer.analyse(expand(document), undefined)!.authorization(viewer);
        const paths = (r: typeof memoised) =>
          [...new Set(r.removals.map((x) => `${x.path.join('.')}:${x.code}:${x.emptied ?? false}`))].sort();
        expect({ seed, paths: paths(memoised), empty: memoised.empty }).toEqual({ seed, paths: paths(naive), empty: naive.empty });
      }
    }
  });

  it('when fragments double at every one of 80 levels, then analysis and filtering finish at once and count 2^80', () => {
    const levels = 80;
    const chain = (name: string, type: string, leaf: string, spread = (p: string) => `...${p} ...${p}`) =>
      [
        `fragment ${name}0 on ${type} { ${leaf} }`,
        ...Array.from({ length: levels }, (_, i) => `fragment ${name}${i + 1} on ${type} { ${spread(`${name}${i}`)} }`),
      ].join('\n');
    const started = performance.now();
    const root = analyzer.analyse(parse(`{ ...Q${levels} }\n${chain('Q', 'Query', 'hello secret')}`), undefined)!;
    expect(root.rootFields).toBe(2 * 2 ** levels);
    const cells = parse(`{ shelf { rows { cells { ...C${levels} } } } }\n${chain('C', 'Cell', 'value hidden')}`);
    const analysed = analyzer.analyse(cells, undefined)!;
    expect(analysed.rootFields).toBe(1);
    const filtered = analysed.authorization(userViewer('a', 'a'));
    expect(filtered.removals.filter((r) => !r.emptied).map((r) => r.path.join('.'))).toEqual(['shelf.rows.cells.hidden']);
    // Each fragment is filtered once: the filtered document stays as small as the original.
    expect(print(filtered.document).length).toBeLessThan(print(cells).length * 2);
    const mixed = parse(
      `{ items { ...I${levels} } }\n${chain('I', 'Item', '... on Heavy { note parts { id } } id', (p) => `...${p} ... on Heavy { ...${p} } ... on Item { ...${p} }`)}`,
    );
    expect(analyzer.analyse(mixed, undefined)!.authorization(ANONYMOUS).removals.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('when a limit is exceeded, then the analysis stops there and says which', () => {
    const limited = new OperationAnalyzer(model, { maxRootFields: 3, maxSelections: 6, maxCost: 50, defaultListSize: 10 });
    // items: (1 + parts (1 + 0) × 10) × 7 = 77
    expect(limited.analyse(parse('{ a: hello b: hello c: hello d: hello }'), undefined)!.exceeded).toBe('rootFields');
    expect(limited.analyse(parse('{ a: hello b: hello c: hello }'), undefined)!.exceeded).toBeUndefined();
    expect(limited.analyse(parse('{ items { ... on Heavy { parts { id } } } }'), undefined)!.exceeded).toBe('cost');
    expect(limited.analyse(parse('{ items { ...F ...F ...F } } fragment F on Item { id name }'), undefined)!.exceeded).toBe('selections');
  });

  it('when aliases and fragments repeat credential fields, then each is counted, skipped ones not', () => {
    const document = parse(`
      mutation($no: Boolean!) { a: logIn { value } ...L ...L signUp @include(if: $no) { value } }
      fragment L on Mutation { b: logIn { value } c: signUp { value } }`);
    const analysis = analyzer.analyse(document, undefined, { no: false })!;
    expect(Object.fromEntries(analysis.rootFieldsByName)).toEqual({ logIn: 3, signUp: 2 });
    expect(Object.fromEntries(analyzer.analyse(document, undefined, { no: true })!.rootFieldsByName)).toEqual({ logIn: 3, signUp: 3 });
  });

  it('when a slicing argument is a variable, then the cost follows its value and the analysis is cached per value', () => {
    const document = parse('query($n: Int) { shelf(first: $n) { rows { label } } }');
    const five = analyzer.analyse(document, undefined, { n: 5 })!;
    expect(five.cost).toBe(1 + 5 * 1);
    expect(analyzer.analyse(document, undefined, { n: 20 })!.cost).toBe(1 + 20 * 1);
    expect(analyzer.analyse(document, undefined, { n: 5 })).toBe(five);
    // Other variables do not split the cache.
    expect(analyzer.analyse(document, undefined, { n: 5, unrelated: 'x' })).toBe(five);
  });
});

describe('@skip / @include in authorization', () => {
  const customer = userViewer('u', '');
  const withC = userViewer('c', 'c');
  const run = (query: string, viewer: typeof customer, variables: Record<string, unknown> = {}) =>
    analyzer.analyse(parse(query), undefined, variables)!.authorization(viewer);
  const removed = (result: ReturnType<typeof run>) => result.removals.filter((r) => !r.emptied).map((r) => `${r.path.join('.')}:${r.code}`);

  it.each([
    ['@include(if: false)', '{ hello secret @include(if: false) }', {}],
    ['@skip(if: true)', '{ hello secret @skip(if: true) }', {}],
    ['@include(if: $a), a = false', 'query($a: Boolean!) { hello secret @include(if: $a) }', { a: false }],
    ['@skip(if: $a), a = true', 'query($a: Boolean!) { hello secret @skip(if: $a) }', { a: true }],
    ['a default of false', 'query($a: Boolean = false) { hello secret @include(if: $a) }', {}],
    ['on a fragment spread', '{ hello ...S @include(if: false) } fragment S on Query { secret }', {}],
    ['on an inline fragment', '{ hello ... @skip(if: true) { secret } }', {}],
    ['inside a fragment', '{ hello ...S } fragment S on Query { secret @skip(if: true) }', {}],
  ])('when an @authenticated field is skipped (%s), then anonymous gets no removal and no error', (_label, query, variables) => {
    const result = run(query, ANONYMOUS, variables);
    expect(removed(result)).toEqual([]);
    expect(applyRemovals({ data: { hello: 'hi' } }, result)).toEqual({ data: { hello: 'hi' } });
  });

  it.each([
    ['@include(if: true)', '{ hello secret @include(if: true) }', {}],
    ['@skip(if: $a), a = false', 'query($a: Boolean!) { hello secret @skip(if: $a) }', { a: false }],
    ['inside a fragment, included', 'query($a: Boolean!) { hello ...S } fragment S on Query { secret @include(if: $a) }', { a: true }],
  ])(
    'when an @authenticated field is included (%s), then anonymous gets null and UNAUTHENTICATED there, the rest runs',
    (_label, query, variables) => {
      const result = run(query, ANONYMOUS, variables);
      expect(removed(result)).toEqual(['secret:UNAUTHENTICATED']);
      const response = applyRemovals({ data: { hello: 'hi' } }, result);
      expect(response.data).toEqual({ hello: 'hi', secret: null });
    },
  );

  it('when a @requiresScopes field is skipped or included, then a customer is refused only when it is included', () => {
    const query = 'query($a: Boolean!) { shelf { rows { cells { value hidden @include(if: $a) } } } }';
    expect(removed(run(query, customer, { a: false }))).toEqual([]);
    expect(removed(run(query, customer, { a: true }))).toEqual(['shelf.rows.cells.hidden:FORBIDDEN']);
    expect(removed(run(query, withC, { a: true }))).toEqual([]);
    const inFragment = 'query($a: Boolean!) { shelf { rows { cells { ...C @skip(if: $a) value } } } } fragment C on Cell { hidden }';
    expect(removed(run(inFragment, customer, { a: true }))).toEqual([]);
    expect(removed(run(inFragment, customer, { a: false }))).toEqual(['shelf.rows.cells.hidden:FORBIDDEN']);
  });

  it('when the same document is analysed with other skip values, then each gets its own cached decision', () => {
    const document = parse('query($a: Boolean!) { hello secret @include(if: $a) }');
    const off = analyzer.analyse(document, undefined, { a: false })!;
    const on = analyzer.analyse(document, undefined, { a: true })!;
    expect(off).not.toBe(on);
    expect(off.authorization(ANONYMOUS).removals).toEqual([]);
    expect(on.authorization(ANONYMOUS).removals).toHaveLength(1);
  });
});
