import { SEED_MENU } from '@brigade/testing';
import { startStack, type Stack } from '@brigade/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const coffee = SEED_MENU.find((i) => i.name === 'Coffee')!;
const BAD = [
  ['a NUL', 'ab\u0000cd'],
  ['a lone high surrogate', 'ab\ud800cd'],
  ['a lone low surrogate', 'ab\udc00cd'],
] as const;

type Who = 'anonymous' | 'customer' | 'admin';
interface Case {
  readonly query: string;
  readonly who: Who;
  /** Valid variables; `bad(value)` puts the bad text at one position. */
  readonly variables: (bad: string | undefined) => Record<string, unknown>;
}

const ok = (bad: string | undefined, good: string) => bad ?? good;

/** Every operation of the public API that takes text (String or ID), with each of its text inputs. */
const CASES: Record<string, Case> = {
  'menuItem(id)': { who: 'anonymous', query: 'query($id: ID!) { menuItem(id: $id) { id } }', variables: (b) => ({ id: ok(b, coffee.id) }) },
  'user(id)': { who: 'admin', query: 'query($id: ID!) { user(id: $id) { id } }', variables: (b) => ({ id: ok(b, randomUUID()) }) },
  'order(id)': { who: 'customer', query: 'query($id: ID!) { order(id: $id) { id } }', variables: (b) => ({ id: ok(b, randomUUID()) }) },
  'myOrders(after)': {
    who: 'customer',
    query: 'query($a: String) { myOrders(after: $a) { edges { cursor } } }',
    variables: (b) => ({ a: ok(b, 'x') }),
  },
  'orders(after)': {
    who: 'admin',
    query: 'query($a: String) { orders(after: $a) { edges { cursor } } }',
    variables: (b) => ({ a: ok(b, 'x') }),
  },
  'me.orders(after)': {
    who: 'customer',
    query: 'query($a: String) { me { orders(after: $a) { edges { cursor } } } }',
    variables: (b) => ({ a: ok(b, 'x') }),
  },
  'signUp(email)': {
    who: 'anonymous',
    query: 'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }',
    variables: (b) => ({ i: { email: b ? `${b}@x.test` : `${randomUUID()}@x.test`, password: 'long-enough-password', name: 'N' } }),
  },
  'signUp(password)': {
    who: 'anonymous',
    query: 'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }',
    variables: (b) => ({
      i: { email: `${randomUUID()}@x.test`, password: ok(b && `${b}-long-enough`, 'long-enough-password'), name: 'N' },
    }),
  },
  'signUp(name)': {
    who: 'anonymous',
    query: 'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }',
    variables: (b) => ({ i: { email: `${randomUUID()}@x.test`, password: 'long-enough-password', name: ok(b, 'N') } }),
  },
  'refreshToken(refreshToken)': {
    who: 'anonymous',
    query: 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }',
    variables: (b) => ({ t: ok(b, 'x') }),
  },
  'logOut(refreshToken)': {
    who: 'anonymous',
    query: 'mutation($t: String!) { logOut(refreshToken: $t) }',
    variables: (b) => ({ t: ok(b, 'x') }),
  },
  'grantRole(userId)': {
    who: 'admin',
    query: 'mutation($u: ID!) { grantRole(userId: $u, role: STAFF) { id } }',
    variables: (b) => ({ u: ok(b, randomUUID()) }),
  },
  'restockDrink(id)': {
    who: 'admin',
    query: 'mutation($id: ID!) { restockDrink(id: $id, quantity: 1) { id } }',
    variables: (b) => ({ id: ok(b, coffee.id) }),
  },
  'restockDish(id)': {
    who: 'admin',
    query: 'mutation($id: ID!) { restockDish(id: $id, quantity: 1) { id } }',
    variables: (b) => ({ id: ok(b, randomUUID()) }),
  },
  'restockPastry(id)': {
    who: 'admin',
    query: 'mutation($id: ID!) { restockPastry(id: $id, quantity: 1) { id } }',
    variables: (b) => ({ id: ok(b, randomUUID()) }),
  },
  'createMenuItem(name)': {
    who: 'admin',
    query: 'mutation($i: CreateMenuItemInput!) { createMenuItem(input: $i) { id } }',
    variables: (b) => ({ i: { name: ok(b, 'Soup'), price: 100, category: 'MEAL' } }),
  },
  'createMenuItem(description)': {
    who: 'admin',
    query: 'mutation($i: CreateMenuItemInput!) { createMenuItem(input: $i) { id } }',
    variables: (b) => ({ i: { name: 'Soup', description: ok(b, 'Hot'), price: 100, category: 'MEAL' } }),
  },
  'updateMenuItem(id)': {
    who: 'admin',
    query: 'mutation($id: ID!, $i: UpdateMenuItemInput!) { updateMenuItem(id: $id, input: $i) { id } }',
    variables: (b) => ({ id: ok(b, coffee.id), i: { price: coffee.price } }),
  },
  'updateMenuItem(name)': {
    who: 'admin',
    query: 'mutation($id: ID!, $i: UpdateMenuItemInput!) { updateMenuItem(id: $id, input: $i) { id } }',
    variables: (b) => ({ id: coffee.id, i: { name: ok(b, coffee.name) } }),
  },
  'updateMenuItem(description)': {
    who: 'admin',
    query: 'mutation($id: ID!, $i: UpdateMenuItemInput!) { updateMenuItem(id: $id, input: $i) { id } }',
    variables: (b) => ({ id: coffee.id, i: { description: ok(b, 'Fresh') } }),
  },
  'placeOrder(menuItemId)': {
    who: 'customer',
    query: 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename } }',
    variables: (b) => ({ i: { lines: [{ menuItemId: ok(b, coffee.id), quantity: 1 }] } }),
  },
  'placeOrder(idempotencyKey)': {
    who: 'customer',
    query: 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename } }',
    variables: (b) => ({ i: { lines: [{ menuItemId: coffee.id, quantity: 1 }], idempotencyKey: ok(b, randomUUID()) } }),
  },
  'cancelOrder(id)': {
    who: 'customer',
    query: 'mutation($id: ID!) { cancelOrder(id: $id) { id } }',
    variables: (b) => ({ id: ok(b, randomUUID()) }),
  },
  'advanceOrder(id)': {
    who: 'admin',
    query: 'mutation($id: ID!) { advanceOrder(id: $id, status: PREPARING) { id } }',
    variables: (b) => ({ id: ok(b, randomUUID()) }),
  },
};

describe('text inputs with NUL or unpaired surrogates (production)', () => {
  let stack: Stack;
  const tokens: Partial<Record<Who, string>> = {};

  beforeAll(async () => {
    stack = await startStack({ env: { NODE_ENV: 'production', RATE_LIMIT: 'false' } });
    tokens.customer = (await stack.signUp()).accessToken;
    tokens.admin = await stack.adminToken();
  });
  afterAll(() => stack?.stop());

  const run = (c: Case, bad: string | undefined) =>
    stack.query(c.query, { variables: c.variables(bad), ...(tokens[c.who] ? { token: tokens[c.who]! } : {}) });

  it.each(Object.keys(CASES))(
    'when %s gets bad text, then BAD_USER_INPUT naming nothing internal, never a database error',
    async (name) => {
      const c = CASES[name]!;
      for (const [, bad] of BAD) {
        const result = await run(c, bad);
        const codes = result.errors?.map((e) => e.extensions?.code);
        expect(codes, `${name} ${JSON.stringify(result.errors)}`).toEqual(['BAD_USER_INPUT']);
        expect(JSON.stringify(result.errors)).not.toMatch(/byte sequence|UTF8|encoding|stack/i);
      }
    },
  );

  it.each(['email', 'password'])('when logIn gets bad text in its %s, then the very error of a wrong password', async (field) => {
    const query = 'mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }';
    const wrong = await stack.query(query, { variables: { i: { email: stack.admin.email, password: 'not-the-password' } } });
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    for (const [, bad] of BAD) {
      const input = { email: stack.admin.email, password: stack.admin.password, [field]: field === 'email' ? `${bad}@x.test` : bad };
      const result = await stack.query(query, { variables: { i: input } });
      expect({ status: result.status, data: result.data, errors: result.errors }).toEqual({
        status: wrong.status,
        data: wrong.data,
        errors: wrong.errors,
      });
    }
  });

  it('when the bad text is a literal in the document, then the same BAD_USER_INPUT', async () => {
    const result = await stack.query('{ menuItem(id: "a\\u0000b") { id } }');
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('when the text is valid (a surrogate pair, an emoji), then it is accepted', async () => {
    const result = await stack.signUp({ name: 'Zoë 🍰' });
    expect(result.accessToken).toBeTruthy();
  });
});
