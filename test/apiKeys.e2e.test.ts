import { createGateway, loadConfig as loadGatewayConfig, type Gateway } from '@brigade/gateway';
import { CredentialMinter, keyViewer, openDatabase, SUBGRAPHS } from '@brigade/platform';
import {
  ADMIN,
  SEED_MENU,
  startStack,
  subscribe,
  type GraphQLResult,
  type LiveTransport,
  type Stack,
  scratchFolder,
} from '@brigade/testing';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CREATE = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id name scopes expiresAt lastUsedAt revokedAt } }
}`;
const REVOKE = 'mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }';
const LIST = '{ apiKeys { id name scopes lastUsedAt revokedAt } }';
const ORDERS = '{ orders(first: 50) { edges { node { id status customer { id name } } } } }';
const ADVANCE = 'mutation($id: ID!) { advanceOrder(id: $id, status: PREPARING) { id status } }';
const PLACE = `mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { __typename ... on OrderPlaced { order { id status } } }
}`;
const coffee = SEED_MENU.find((i) => i.name === 'Coffee')!;
const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);

async function createKey(stack: Stack, adminToken: string, input: Record<string, unknown>) {
  const result = await stack.query(CREATE, { token: adminToken, variables: { input } });
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data!.createApiKey as { secret: string; apiKey: { id: string; scopes: string[] } };
}

const withKey = (secret: string) => ({ headers: { 'x-api-key': secret } });

/** Subgraph fetches the gateway has made so far (its own metric), to show a refusal reached none. */
async function subgraphFetches(stack: Stack): Promise<number> {
  const text = await (await fetch(new URL('/metrics', stack.origin))).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('brigade_gateway_subgraph_fetch_duration_seconds_count'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('API keys through the gateway', () => {
  let stack: Stack;
  let adminToken: string;
  let orderId: string;
  let ordersKey: { secret: string; apiKey: { id: string } };

  beforeAll(async () => {
    stack = await startStack();
    adminToken = await stack.adminToken();
    const customer = await stack.signUp();
    const placed = await stack.query(PLACE, {
      token: customer.accessToken,
      variables: { input: { lines: [{ menuItemId: coffee.id, quantity: 1 }] } },
    });
    expect(placed.data?.placeOrder.__typename, JSON.stringify(placed)).toBe('OrderPlaced');
    orderId = placed.data!.placeOrder.order.id;
    ordersKey = await createKey(stack, adminToken, { name: 'Kitchen display', scopes: ['orders:manage'] });
  });
  afterAll(() => stack?.stop());

  it('when a key with orders:manage lists and advances orders, then it acts with that scope', async () => {
    const listed = await stack.query(ORDERS, withKey(ordersKey.secret));
    expect(listed.status).toBe(200);
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(orderId);

    const advanced = await stack.query(ADVANCE, { ...withKey(ordersKey.secret), variables: { id: orderId } });
    expect(advanced.errors).toBeUndefined();
    expect(advanced.data!.advanceOrder).toEqual({ id: orderId, status: 'PREPARING' });

    const keys = await stack.query(LIST, { token: adminToken });
    const listedKey = keys.data!.apiKeys.find((k: { id: string }) => k.id === ordersKey.apiKey.id);
    expect(listedKey).toMatchObject({ name: 'Kitchen display', scopes: ['orders:manage'], revokedAt: null });
    expect(listedKey.lastUsedAt).not.toBeNull();
  });

  it.each<LiveTransport>(['sse', 'multipart'])(
    'when a wall tablet opens the board with an orders:manage key over %s, then new orders arrive; a key without the scope is FORBIDDEN',
    async (transport) => {
      const board = await subscribe(stack.url, {
        transport,
        query: 'subscription { orderBoard { id status lines { name quantity } } }',
        headers: { 'x-api-key': ordersKey.secret },
      });
      expect(board.status).toBe(200);
      const customer = await stack.signUp();
      const placed = await stack.query(PLACE, {
        token: customer.accessToken,
        variables: { input: { lines: [{ menuItemId: coffee.id, quantity: 1 }] } },
      });
      const id = placed.data!.placeOrder.order.id;
      const event = await board.nextWhere((r) => !r.data?.orderBoard || r.data.orderBoard.id === id);
      expect(event, JSON.stringify(board.results)).not.toBe('end');
      expect((event as { data: Record<string, any> }).data.orderBoard, JSON.stringify(event)).toEqual({
        id,
        status: 'PLACED',
        lines: [{ name: 'Coffee', quantity: 1 }],
      });
      board.close();

      const stockKey = await createKey(stack, adminToken, { name: `Stock scanner ${transport}`, scopes: ['stock:write'] });
      const refused = await subscribe(stack.url, {
        transport,
        query: 'subscription { orderBoard { id } }',
        headers: { 'x-api-key': stockKey.secret },
      });
      const first = await refused.next(10_000);
      expect(first).not.toBe('end');
      expect((first as GraphQLResult).errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(await refused.next(10_000)).toBe('end');
    },
  );

  it('when the same key asks for what needs a user or a scope it lacks, then FORBIDDEN and the rest still runs', async () => {
    // A scope the key lacks: refused by the gateway's own authorization, no subgraph asked.
    const lacksScope: [string, Record<string, unknown>][] = [
      ['mutation($id: ID!) { grantRole(userId: $id, role: ADMIN) { id } }', { id: ordersKey.apiKey.id }],
      ['mutation($id: ID!) { restockDrink(id: $id, quantity: 5) { id stock } }', { id: coffee.id }],
      [CREATE, { input: { name: 'minted by a key', scopes: ['orders:manage'] } }],
    ];
    const fetchesBefore = await subgraphFetches(stack);
    for (const [query, variables] of lacksScope) {
      const result = await stack.query(query, { ...withKey(ordersKey.secret), variables });
      expect(result.status, query).toBe(200);
      expect(codes(result), query).toEqual(['FORBIDDEN']);
    }
    expect(await subgraphFetches(stack)).toBe(fetchesBefore);
    // What needs a person: a key is authenticated but no user, so the field's own service refuses it.
    const needsUser: [string, Record<string, unknown>][] = [
      [PLACE, { input: { lines: [{ menuItemId: coffee.id, quantity: 1 }] } }],
      ['{ me { id } }', {}],
      ['{ myOrders { edges { node { id } } } }', {}],
    ];
    for (const [query, variables] of needsUser) {
      const result = await stack.query(query, { ...withKey(ordersKey.secret), variables });
      expect(result.status, query).toBe(200);
      expect(codes(result), query).toEqual(['FORBIDDEN']);
    }
    const mixed = await stack.query(`{ me { id } menu(category: DRINK) { name } }`, withKey(ordersKey.secret));
    expect(codes(mixed)).toEqual(['FORBIDDEN']);
    expect(mixed.data!.menu.length).toBeGreaterThan(0);
  });

  it("when a key cancels an order, then orders:manage cancels it as staff would, and a key without it is FORBIDDEN (a customer's cancel)", async () => {
    const customer = await stack.signUp();
    const placed = await stack.query(PLACE, {
      token: customer.accessToken,
      variables: { input: { lines: [{ menuItemId: coffee.id, quantity: 1 }] } },
    });
    const id = placed.data!.placeOrder.order.id;
    const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';
    const stockKey = await createKey(stack, adminToken, { name: 'Stock scanner', scopes: ['stock:write'] });
    expect(codes(await stack.query(CANCEL, { ...withKey(stockKey.secret), variables: { id } }))).toEqual(['FORBIDDEN']);
    const cancelled = await stack.query(CANCEL, { ...withKey(ordersKey.secret), variables: { id } });
    expect(cancelled.errors).toBeUndefined();
    expect(cancelled.data!.cancelOrder).toEqual({ id, status: 'CANCELLED' });
    // Cancelling again by the same key answers the order, as for any caller who cancelled it.
    const again = await stack.query(CANCEL, { ...withKey(ordersKey.secret), variables: { id } });
    expect(again.data!.cancelOrder).toEqual({ id, status: 'CANCELLED' });
  });

  it('when a subgraph is called with a credential for a key, then it refuses what needs a user itself (defence in depth)', async () => {
    const minter = new CredentialMinter('gateway', stack.keyring.privateKeys.gateway);
    const call = async (service: 'orders' | 'auth', query: string, variables: Record<string, unknown> = {}, scope = 'orders:manage') => {
      const token = await minter.mint(service, keyViewer(ordersKey.apiKey.id, scope));
      const response = await fetch(stack.services[service].url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as { data?: Record<string, any>; errors?: GraphQLResult['errors'] };
    };
    expect(codes((await call('orders', '{ myOrders { edges { node { id } } } }')) as GraphQLResult)).toEqual(['FORBIDDEN']);
    const place = await call('orders', PLACE, { input: { lines: [{ menuItemId: coffee.id, quantity: 1 }] } });
    expect(codes(place as GraphQLResult)).toEqual(['FORBIDDEN']);
    expect(codes((await call('auth', '{ me { id } }')) as GraphQLResult)).toEqual(['FORBIDDEN']);
    // Without orders:manage a key is no staff: someone's order and a user's orders stay closed to it.
    const order = await call('orders', 'query($id: ID!) { order(id: $id) { id } }', { id: orderId }, 'stock:write');
    expect(codes(order as GraphQLResult)).toEqual(['FORBIDDEN']);
    const USER_ORDERS = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { edges { node { id } } } } } }';
    const userOrders = await call('orders', USER_ORDERS, { r: [{ __typename: 'User', id: 'someone' }] }, 'stock:write');
    expect(codes(userOrders as GraphQLResult)).toEqual(['FORBIDDEN']);
    // What the scope unlocks still works there, staff's view of an order included.
    expect((await call('orders', '{ orders(first: 1) { edges { node { id } } } }')).errors).toBeUndefined();
    const staffView = await call('orders', 'query($id: ID!) { order(id: $id) { id } }', { id: orderId });
    expect(staffView.data!.order).toEqual({ id: orderId });
  });

  it('when a key is unknown, truncated, revoked or sent with a token, then the request is refused before any subgraph runs', async () => {
    // Revoked before this gateway ever saw it, so no cached verification hides the revocation (the
    // delay a cached one may add is the two-replica test's business).
    const doomed = await createKey(stack, adminToken, { name: 'Bar printer', scopes: ['stock:write', 'orders:manage'] });
    const revoked = await stack.query(REVOKE, { token: adminToken, variables: { id: doomed.apiKey.id } });
    expect(revoked.data!.revokeApiKey.revokedAt).not.toBeNull();

    const restock = { query: 'mutation($id: ID!) { restockDrink(id: $id, quantity: 5) { stock } }', variables: { id: coffee.id } };
    const stockBefore = (await stack.query('query($id: ID!) { menuItem(id: $id) { stock } }', { variables: { id: coffee.id } })).data!
      .menuItem.stock;
    const fetchesBefore = await subgraphFetches(stack);
    const unknown = `brg_${'ab'.repeat(16)}_${'x'.repeat(43)}`;
    for (const [what, secret] of [
      ['revoked', doomed.secret],
      ['unknown', unknown],
      ['truncated', ordersKey.secret.slice(0, -3)],
      ['not a key', 'hunter2'],
    ] as const) {
      const result = await stack.query(restock.query, { ...withKey(secret), variables: restock.variables });
      expect(result.status, what).toBe(401);
      expect(codes(result), what).toEqual(['UNAUTHENTICATED']);
      expect(result.data ?? null, what).toBeNull();
    }
    const both = await stack.query(restock.query, { token: adminToken, ...withKey(ordersKey.secret), variables: restock.variables });
    expect(both.status).toBe(400);
    expect(codes(both)).toEqual(['BAD_REQUEST']);

    expect(await subgraphFetches(stack)).toBe(fetchesBefore);
    const stockAfter = (await stack.query('query($id: ID!) { menuItem(id: $id) { stock } }', { variables: { id: coffee.id } })).data!
      .menuItem.stock;
    expect(stockAfter).toBe(stockBefore);
  });

  it('when a key is revoked, then a second gateway replica refuses it within the cache bound (5 s by default)', async () => {
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, stack.services[name].url]));
    const replica: Gateway = await createGateway(
      await loadGatewayConfig({
        LOG_LEVEL: 'silent',
        SERVICE_TRUSTED_KEYS: JSON.stringify(stack.keyring.trusted),
        SERVICE_SIGNING_KEY: JSON.stringify(stack.keyring.privateKeys.gateway),
        ...subgraphUrls,
      }),
    );
    const replicaUrl = `${await replica.listen(0)}/graphql`;
    try {
      const key = await createKey(stack, adminToken, { name: 'Wall tablet', scopes: ['orders:manage'] });
      const onReplica = () =>
        fetch(replicaUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': key.secret },
          body: JSON.stringify({ query: '{ orders(first: 1) { edges { node { id } } } }' }),
        });
      // Both replicas have verified (and cached) the key.
      expect((await onReplica()).status).toBe(200);
      expect((await stack.query(ORDERS, withKey(key.secret))).status).toBe(200);

      const revoked = await stack.query(REVOKE, { token: adminToken, variables: { id: key.apiKey.id } });
      expect(revoked.data!.revokeApiKey.revokedAt).not.toBeNull();
      const revokedAt = Date.now();
      const refusedAfter = async (ask: () => Promise<number>): Promise<number> => {
        while (Date.now() - revokedAt < 15_000) {
          if ((await ask()) === 401) return Date.now() - revokedAt;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return Infinity;
      };
      const [replicaMs, firstMs] = await Promise.all([
        refusedAfter(async () => (await onReplica()).status),
        refusedAfter(async () => (await stack.query(ORDERS, withKey(key.secret))).status),
      ]);
      // The documented bound (API_KEY_CACHE_TTL_MS = 5000) plus one polling round trip on a busy machine.
      expect(replicaMs).toBeLessThan(5_000 + 1_500);
      expect(firstMs).toBeLessThan(5_000 + 1_500);
    } finally {
      await replica.stop();
    }
  });

  it('when a staff member or an unknown scope asks for a key, then it is refused and nothing is created', async () => {
    const staff = await stack.userWithRole('STAFF');
    const byStaff = await stack.query(CREATE, { token: staff.accessToken, variables: { input: { name: 'x', scopes: ['orders:manage'] } } });
    expect(codes(byStaff)).toEqual(['FORBIDDEN']);
    const unknownScope = await stack.query(CREATE, { token: adminToken, variables: { input: { name: 'x', scopes: ['root'] } } });
    expect(unknownScope.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scopes' });
    const keys = (await stack.query(LIST, { token: adminToken })).data!.apiKeys;
    expect(keys.filter((k: { name: string }) => k.name === 'x')).toEqual([]);
  });
});

describe('API key expiry and rate limits', () => {
  let stack: Stack;
  let dataDir: string;
  let adminToken: string;
  beforeAll(async () => {
    // Auth alone, on PGlite in a folder, so the test can move a key's expiry into the past while auth is stopped.
    dataDir = await scratchFolder('brigade-keys-');
    stack = await startStack({
      only: ['auth'],
      databaseUrl: null,
      dataDir,
      serviceEnv: { gateway: { RATE_LIMIT: 'true', RATE_LIMIT_USER: '3', RATE_LIMIT_IP: '1000', RATE_LIMIT_WINDOW_S: '3600' } },
    });
    adminToken = (await stack.logIn(ADMIN.email, ADMIN.password)).accessToken;
  });
  afterAll(async () => {
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('when a key has expired, then the request is refused with 401', async () => {
    const key = await createKey(stack, adminToken, { name: 'Partner', scopes: ['orders:manage'], expiresInDays: 1 });
    await stack.services.auth.stop();
    const db = await openDatabase({ schema: 'auth', dataDir: join(dataDir, 'pglite') });
    try {
      await db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [key.apiKey.id]);
    } finally {
      await db.close();
    }
    await stack.services.auth.start();
    const result = await stack.query('{ __typename }', withKey(key.secret));
    expect(result.status).toBe(401);
    expect(codes(result)).toEqual(['UNAUTHENTICATED']);
  });

  it('when a key spends its budget, then it is rate limited on its own, as a user would be', async () => {
    const first = await createKey(stack, adminToken, { name: 'Busy device', scopes: ['orders:manage'] });
    const second = await createKey(stack, adminToken, { name: 'Quiet device', scopes: ['orders:manage'] });
    for (let i = 0; i < 3; i++) expect((await stack.query('{ __typename }', withKey(first.secret))).status).toBe(200);
    const limited = await stack.query('{ __typename }', withKey(first.secret));
    expect(limited.status).toBe(429);
    expect(codes(limited)).toEqual(['RATE_LIMITED']);
    expect((await stack.query('{ __typename }', withKey(second.secret))).status).toBe(200);
  });
});
