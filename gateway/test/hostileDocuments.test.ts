import { startStack, type GraphQLResult, type Stack } from '@brigade/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `levels` fragments, each spreading the one below it twice (or as `spread` says): 2^levels by naive expansion. */
function doubling(name: string, type: string, leaf: string, levels: number, spread = (below: string) => `...${below} ...${below}`): string {
  const out = [`fragment ${name}0 on ${type} { ${leaf} }`];
  for (let i = 1; i <= levels; i++) out.push(`fragment ${name}${i} on ${type} { ${spread(`${name}${i - 1}`)} }`);
  return out.join('\n');
}

const SHAPES = (levels: number) => ({
  'on Query': { query: `{ ...Q${levels} }\n${doubling('Q', 'Query', '__typename menu { id }', levels)}`, served: false },
  'under a list field': { query: `{ menu { ...M${levels} } }\n${doubling('M', 'MenuItem', 'id name', levels)}`, served: true },
  'on a concrete type reached through the interface': {
    query: `{ menu { id ...D${levels} } }\n${doubling('D', 'Drink', 'stock available', levels)}`,
    served: true,
  },
  'around protected root fields': {
    query: `{ ...P${levels} }\n${doubling('P', 'Query', 'me { id } myOrders { edges { cursor } }', levels)}`,
    served: false,
  },
  'under a protected field': { query: `{ menu { id } me { ...U${levels} } }\n${doubling('U', 'User', 'id name', levels)}`, served: true },
  'around logIn / signUp aliases in a mutation': {
    query: `mutation { ...L${levels} }\n${doubling(
      'L',
      'Mutation',
      'a: logIn(input: { email: "a@b.c", password: "wrong-password" }) { accessToken } b: signUp(input: { email: "x@y.z", password: "long-enough-password", name: "X" }) { accessToken }',
      levels,
    )}`,
    served: false,
  },
  'mixed with inline fragments and interface spreads': {
    query: `{ menu { ...I${levels} } }\n${doubling('I', 'MenuItem', 'id ... on Drink { stock }', levels, (below) => `...${below} ... on Drink { ...${below} } ... on MenuItem { ...${below} }`)}`,
    served: true,
  },
  'with @include and @skip on the spreads': {
    query: `query($on: Boolean = true) { menu { ...S${levels} } }\n${doubling('S', 'MenuItem', 'id', levels, (below) => `...${below} @include(if: $on) ...${below} @skip(if: false)`)}`,
    served: true,
  },
});

async function timed(run: () => Promise<GraphQLResult>): Promise<{ result: GraphQLResult; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

/** Generous for a shared CI machine; the naive expansion of 60 levels would take longer than the universe has. */
const AT_ONCE_MS = 3_000;

describe.each([
  ['production', { NODE_ENV: 'production', RATE_LIMIT: 'false' }],
  ['development', {}],
])('hostile documents with doubling fragments (%s)', (_mode, env) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env, only: ['auth', 'menu', 'bar', 'orders'] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // 12: three spreads per level stay under Apollo's recursive-selection limit, but would keep the query planner
  // busy for half a minute; the selections limit refuses them first.
  for (const levels of [12, 60, 100]) {
    for (const [shape, { query, served }] of Object.entries(SHAPES(levels))) {
      it(`when ${levels} levels double ${shape}, then it is ${served ? 'served' : 'refused'} at once and a concurrent request is unaffected`, async () => {
        const customer = shape.includes('protected field') ? await stack.signUp() : undefined;
        const [hostile, bystander] = await Promise.all([
          timed(() => stack.query(query, customer ? { token: customer.accessToken } : {})),
          timed(() => stack.query('{ __typename menu { id } }')),
        ]);
        expect(hostile.ms).toBeLessThan(AT_ONCE_MS);
        expect(bystander.ms).toBeLessThan(AT_ONCE_MS);
        expect(bystander.result.status).toBe(200);
        expect(bystander.result.data?.menu).toHaveLength(12);
        if (served && hostile.result.status === 200) {
          expect(hostile.result.errors).toBeUndefined();
        } else {
          // Refused by a limit (ours, Apollo's recursive-selection limit, or the token limit), never a failure.
          expect(hostile.result.status, JSON.stringify(hostile.result.errors)).toBe(400);
          expect(hostile.result.errors?.[0]?.extensions?.code).toMatch(/^GRAPHQL_(VALIDATION|PARSE)_FAILED$/);
          if (!served) expect(hostile.result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
        }
        const health = await timed(async () => ({ status: (await fetch(`${stack.origin}/health`)).status, headers: new Headers() }));
        expect(health.result.status).toBe(200);
      });
    }
  }

  // Just under every limit (2000 selections, 50 directives), so served: planning, authorization and execution
  // all meet the multiplied fragments, and still answer at once.
  it.each([
    ['under a list field', 9],
    ['on a concrete type reached through the interface', 9],
    ['mixed with inline fragments and interface spreads', 6],
    ['with @include and @skip on the spreads', 4],
  ] as const)('when fragments multiply %s (%i levels), then it is served at once', async (shape, levels) => {
    const { result, ms } = await timed(() => stack.query(SHAPES(levels)[shape].query));
    expect(result.status, JSON.stringify(result.errors)).toBe(200);
    expect(result.errors).toBeUndefined();
    expect(result.data?.menu).toHaveLength(12);
    expect(ms).toBeLessThan(AT_ONCE_MS);
  });

  it('when an anonymous caller sends the protected-field shape, then the protected field is null with UNAUTHENTICATED, at once', async () => {
    const { query } = SHAPES(9)['under a protected field'];
    const { result, ms } = await timed(() => stack.query(query));
    expect(ms).toBeLessThan(AT_ONCE_MS);
    expect(result.status).toBe(200);
    expect(result.data?.me).toBeNull();
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});
