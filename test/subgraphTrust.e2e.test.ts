import { CredentialMinter, generateServiceKey, userViewer, type SubgraphName } from '@brigade/platform';
import { SEED_MENU, startStack, type Stack } from '@brigade/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCredential } from './support/tokens.js';

const coffee = SEED_MENU.find((i) => i.name === 'Coffee')!;
const SDL = '{ _service { sdl } }';
const ENTITIES = {
  query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Drink { id stock } } }',
  variables: { r: [{ __typename: 'Drink', id: coffee.id }] },
};
const RESERVE = {
  query: `mutation($orderId: ID!, $lines: [StockLineInput!]!) {
    reserveStock(orderId: $orderId, lines: $lines) { orderId status lines { menuItemId quantity available } }
  }`,
};

/** Posts straight to a subgraph, bypassing the gateway. */
async function direct(stack: Stack, subgraph: SubgraphName, authorization: string | undefined, body: object) {
  const response = await fetch(stack.services[subgraph].url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function barStock(stack: Stack, id: string): Promise<number> {
  const result = await stack.query('query($id: ID!) { menuItem(id: $id) { stock } }', { variables: { id } });
  return result.data!.menuItem.stock;
}

describe('subgraphs called directly, bypassing the gateway', () => {
  let stack: Stack;
  let gatewayMinter: CredentialMinter;

  beforeAll(async () => {
    stack = await startStack();
    gatewayMinter = new CredentialMinter('gateway', stack.keyring.privateKeys.gateway);
  });
  afterAll(() => stack?.stop());

  it('when the gateway’s own credential is used, then _service and _entities answer (the refusals below are not blanket)', async () => {
    const bearer = `Bearer ${await gatewayMinter.mint('bar')}`;
    const sdl = await direct(stack, 'bar', bearer, { query: SDL });
    expect(sdl.status).toBe(200);
    expect(sdl.body.data._service.sdl).toContain('restockDrink');
    const entities = await direct(stack, 'bar', bearer, ENTITIES);
    expect(entities.body.data._entities).toEqual([{ id: coffee.id, stock: coffee.stock }]);
  });

  const refusals: [string, (stack: Stack) => Promise<string | undefined>][] = [
    ['no credential', async () => undefined],
    [
      'a forged credential (gateway-named key nobody trusts)',
      async () => `Bearer ${await new CredentialMinter('gateway', (await generateServiceKey('gateway')).privateJwk).mint('bar')}`,
    ],
    ['a user’s access token', async (stack) => `Bearer ${(await stack.userWithRole('STAFF')).accessToken}`],
    [
      'a credential minted for another subgraph',
      async (stack) => `Bearer ${await new CredentialMinter('gateway', stack.keyring.privateKeys.gateway).mint('menu')}`,
    ],
    [
      'an expired credential',
      async (stack) => `Bearer ${await signCredential(stack.keyring.privateKeys.gateway, 'gateway', 'bar', { issuedAgoS: 600 })}`,
    ],
    [
      'a credential signed with another service’s key',
      async (stack) => `Bearer ${await signCredential(stack.keyring.privateKeys.menu, 'gateway', 'bar')}`,
    ],
    [
      'a credential from a service bar does not trust as a caller',
      async (stack) => `Bearer ${await new CredentialMinter('auth', stack.keyring.privateKeys.auth).mint('bar')}`,
    ],
  ];

  it.each(refusals)('when %s is sent, then _service, _entities and restock are refused with 401', async (_name, credential) => {
    const authorization = await credential(stack);
    const before = await barStock(stack, coffee.id);
    for (const body of [
      { query: SDL },
      ENTITIES,
      { query: 'mutation($id: ID!) { restockDrink(id: $id, quantity: 5) { stock } }', variables: { id: coffee.id } },
    ]) {
      const result = await direct(stack, 'bar', authorization, body);
      expect(result.status).toBe(401);
      expect(result.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(result.body.data).toBeUndefined();
    }
    expect(await barStock(stack, coffee.id)).toBe(before);
  });

  it('when auth is called directly without a credential, then User entities (with email) are refused with 401', async () => {
    const admin = await stack.logIn(stack.admin.email, stack.admin.password);
    const body = {
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }',
      variables: { r: [{ __typename: 'User', id: admin.id }] },
    };
    const refused = await direct(stack, 'auth', undefined, body);
    expect(refused.status).toBe(401);
    const userToken = await direct(stack, 'auth', `Bearer ${admin.accessToken}`, body);
    expect(userToken.status).toBe(401);
  });

  it('when reserveStock is called with a valid gateway credential, then FORBIDDEN; with an orders credential, then it holds stock', async () => {
    const variables = { orderId: randomUUID(), lines: [{ menuItemId: coffee.id, quantity: 2 }] };
    const before = await barStock(stack, coffee.id);
    const staff = userViewer(randomUUID(), 'orders:manage stock:write', ['STAFF']);

    const fromGateway = await direct(stack, 'bar', `Bearer ${await gatewayMinter.mint('bar', staff)}`, { ...RESERVE, variables });
    expect(fromGateway.status).toBe(200);
    expect(fromGateway.body.errors?.map((e: any) => e.extensions.code)).toEqual(['FORBIDDEN']);
    expect(fromGateway.body.data).toBeNull();
    expect(await barStock(stack, coffee.id)).toBe(before);

    const ordersMinter = new CredentialMinter('orders', stack.keyring.privateKeys.orders);
    const fromOrders = await direct(stack, 'bar', `Bearer ${await ordersMinter.mint('bar')}`, { ...RESERVE, variables });
    expect(fromOrders.body.errors).toBeUndefined();
    expect(fromOrders.body.data.reserveStock).toMatchObject({ orderId: variables.orderId, status: 'HELD' });
    expect(await barStock(stack, coffee.id)).toBe(before - 2);
  });

  it('when a client asks the gateway for reserveStock, then the field does not exist in the public API', async () => {
    const result = await stack.query(RESERVE.query, {
      variables: { orderId: randomUUID(), lines: [{ menuItemId: coffee.id, quantity: 1 }] },
      token: await stack.adminToken(),
    });
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
