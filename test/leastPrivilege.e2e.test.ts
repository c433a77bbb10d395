import { CredentialMinter, CredentialVerifier, userViewer, type SubgraphName } from '@brigade/platform';
import { SEED_MENU, startStack, type Stack } from '@brigade/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCredential } from './support/tokens.js';

const coffee = SEED_MENU.find((i) => i.name === 'Coffee')!;

async function direct(stack: Stack, subgraph: SubgraphName, token: string, query: string, variables: object = {}) {
  const response = await fetch(stack.services[subgraph].url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string; extensions?: any }[] } };
}

const codes = (body: { errors?: { extensions?: any }[] }) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('least privilege between services', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('when a credential minted by orders claims users:manage, then auth refuses it: auth trusts the gateway alone', async () => {
    const admin = await stack.logIn(stack.admin.email, stack.admin.password);
    const grant = 'mutation($id: ID!) { grantRole(userId: $id, role: ADMIN) { id roles } }';
    const forged = await signCredential(stack.keyring.privateKeys.orders, 'orders', 'auth', {
      sub: admin.id,
      scope: 'users:manage',
      roles: ['ADMIN'],
    });
    const refused = await direct(stack, 'auth', forged, grant, { id: admin.id });
    expect(refused.status).toBe(401);
    expect(codes(refused.body)).toEqual(['UNAUTHENTICATED']);
    const user = await stack.signUp();
    const me = await direct(
      stack,
      'auth',
      await new CredentialMinter('orders', stack.keyring.privateKeys.orders).mint('auth', userViewer(user.id, '')),
      '{ me { id } }',
    );
    expect(me.status).toBe(401);
  });

  it('when a service other than the gateway presents end-user scopes, then they are not believed', async () => {
    const forged = await signCredential(stack.keyring.privateKeys.orders, 'orders', 'bar', {
      sub: 'someone',
      scope: 'stock:write',
      roles: ['ADMIN'],
    });
    const verifier = new CredentialVerifier('bar', stack.keyring.trusted, ['gateway', 'orders']);
    const { viewer, issuer } = await verifier.verify(forged);
    expect(issuer).toBe('orders');
    expect(viewer).toMatchObject({ kind: 'user', userId: 'someone', roles: [] });
    expect(viewer.kind === 'user' && [...viewer.scopes]).toEqual([]);
    // The same claims from the gateway are believed.
    const fromGateway = await signCredential(stack.keyring.privateKeys.gateway, 'gateway', 'bar', { sub: 'someone', scope: 'stock:write' });
    const believed = await verifier.verify(fromGateway);
    expect(believed.viewer.kind === 'user' && [...believed.viewer.scopes]).toEqual(['stock:write']);
  });

  it('when orders calls a station field it is not declared for (restock, even claiming stock:write), then FORBIDDEN and stock is unchanged', async () => {
    const restock = 'mutation($id: ID!) { restockDrink(id: $id, quantity: 5) { stock } }';
    const forged = await signCredential(stack.keyring.privateKeys.orders, 'orders', 'bar', { sub: 'someone', scope: 'stock:write' });
    const before = (await stack.query('query($id: ID!) { menuItem(id: $id) { stock } }', { variables: { id: coffee.id } })).data!.menuItem
      .stock;
    const result = await direct(stack, 'bar', forged, restock, { id: coffee.id });
    expect(codes(result.body)).toEqual(['FORBIDDEN']);
    const after = (await stack.query('query($id: ID!) { menuItem(id: $id) { stock } }', { variables: { id: coffee.id } })).data!.menuItem
      .stock;
    expect(after).toBe(before);
  });

  it('when a station calls menu, then its existence check answers and the orders-only batch lookup is FORBIDDEN', async () => {
    const bar = new CredentialMinter('bar', stack.keyring.privateKeys.bar);
    const item = await direct(stack, 'menu', await bar.mint('menu'), 'query($id: ID!) { menuItem(id: $id) { __typename } }', {
      id: coffee.id,
    });
    expect(item.body.data.menuItem).toEqual({ __typename: 'Drink' });
    const batch = await direct(stack, 'menu', await bar.mint('menu'), 'query($ids: [ID!]!) { menuItemsByIds(ids: $ids) { id } }', {
      ids: [coffee.id],
    });
    expect(codes(batch.body)).toEqual(['FORBIDDEN']);
    const create = await direct(
      stack,
      'menu',
      await signCredential(stack.keyring.privateKeys.bar, 'bar', 'menu', { sub: 'x', scope: 'menu:write' }),
      'mutation { createMenuItem(input: { name: "Sneaky", price: 1, category: MEAL }) { id } }',
    );
    expect(codes(create.body)).toEqual(['FORBIDDEN']);
  });

  it('when a customer places an order, then orders still calls menu and the stations: the saga works', async () => {
    const customer = await stack.signUp();
    const result = await stack.query(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename ... on OrderPlaced { order { status } } } }',
      { token: customer.accessToken, variables: { input: { lines: [{ menuItemId: coffee.id, quantity: 1 }] } } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.placeOrder).toEqual({ __typename: 'OrderPlaced', order: { status: 'PLACED' } });
  });
});
