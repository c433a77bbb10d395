/**
 * The docker-compose / Kubernetes topology as plain processes: six subgraphs and TWO gateway replicas
 * behind a round-robin load balancer, sharing one PostgreSQL and one Redis, as production runs them.
 * Needs TEST_DATABASE_URL and TEST_REDIS_URL (CI sets both); skipped without them.
 */
import { createGateway, loadConfig as loadGatewayConfig, type Gateway } from '@brigade/gateway';
import { SUBGRAPHS, type Env } from '@brigade/platform';
import { ADMIN, UNHURRIED, startStack, type Stack } from '@brigade/testing';
import { Redis } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, freshIp, graphql, startLoadBalancer, type LoadBalancer, type Reply } from './support/scaleout.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.TEST_REDIS_URL;
const RATE_LIMIT_IP = 20;

const PLACE = /* GraphQL */ `
  mutation ($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced {
        order {
          id
          status
          lines {
            quantity
            menuItem {
              id
            }
          }
        }
      }
      ... on OrderRejected {
        reason
        lines {
          menuItemId
          reason
        }
      }
    }
  }
`;

interface Outcome {
  key: string;
  kind: 'OrderPlaced' | 'OrderRejected';
  orderId?: string;
  reason?: string;
  attempts: number;
}

describe.skipIf(!DATABASE_URL || !REDIS_URL)('scale-out: two gateway replicas on shared PostgreSQL and Redis', () => {
  const run = randomBytes(4).toString('hex');
  const redisPrefix = `brigade-scaleout-${run}:`;
  let stack: Stack;
  let replicaB: Gateway;
  let urlA: string;
  let urlB: string;
  let lb: LoadBalancer;
  let redis: Redis;
  let adminToken: string;
  let staffToken: string;
  let customers: string[];

  /** Through the load balancer, each call from a new client address unless `ip` says otherwise. */
  const api = (query: string, options: { variables?: Record<string, unknown>; token?: string; ip?: string } = {}) =>
    graphql(lb.url, { query, ...options });

  const data = async (query: string, options: { variables?: Record<string, unknown>; token?: string } = {}) => {
    const reply = await api(query, options);
    if (reply.status !== 200 || reply.errors || !reply.data) throw new Error(`${query}: ${reply.status} ${JSON.stringify(reply.errors)}`);
    return reply.data;
  };

  const logIn = async (email: string, password: string) =>
    (await data(`mutation ($i: LogInInput!) { logIn(input: $i) { accessToken user { id } } }`, { variables: { i: { email, password } } }))
      .logIn as {
      accessToken: string;
      user: { id: string };
    };

  const signUp = async (role: 'CUSTOMER' | 'STAFF') => {
    const email = `scaleout-${run}-${randomBytes(4).toString('hex')}@example.com`;
    const password = 'correct horse battery staple';
    const created = (
      await data(`mutation ($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }`, {
        variables: { i: { email, password, name: 'Scale Out' } },
      })
    ).signUp as { accessToken: string; user: { id: string } };
    if (role === 'CUSTOMER') return created.accessToken;
    await data(`mutation ($id: ID!) { grantRole(userId: $id, role: STAFF) { id } }`, {
      variables: { id: created.user.id },
      token: adminToken,
    });
    return (await logIn(email, password)).accessToken;
  };

  /** A new pastry restocked to `quantity`: each scenario races for its own item. */
  const newItem = async (quantity: number) => {
    const { createMenuItem } = await data(
      `mutation { createMenuItem(input: { name: "Scale-out tart ${run}", price: 300, category: DESSERT }) { id } }`,
      {
        token: adminToken,
      },
    );
    const { restockPastry } = await data(`mutation ($id: ID!, $q: Int!) { restockPastry(id: $id, quantity: $q) { stock } }`, {
      variables: { id: createMenuItem.id, q: quantity },
      token: staffToken,
    });
    expect(restockPastry.stock).toBe(quantity);
    return createMenuItem.id as string;
  };

  const stockOf = async (id: string) =>
    (await data(`query ($id: ID!) { menuItem(id: $id) { stock } }`, { variables: { id } })).menuItem.stock as number;

  /**
   * placeOrder as a careful client behind a load balancer does it: a 502 (the replica died with the request)
   * or a CONFLICT (the first attempt with this key is still running) is retried with the same
   * idempotencyKey, which makes the retry safe — it returns the first order instead of placing another.
   */
  const placeUntilAnswered = async (token: string, menuItemId: string, key: string): Promise<Outcome> => {
    for (let attempts = 1; attempts <= 50; attempts++) {
      const reply: Reply = await api(PLACE, { variables: { input: { lines: [{ menuItemId, quantity: 1 }], idempotencyKey: key } }, token });
      if (reply.status === 502 || codesOf(reply).includes('CONFLICT')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const result = reply.data?.placeOrder;
      if (reply.status !== 200 || !result) throw new Error(`placeOrder ${key}: ${reply.status} ${JSON.stringify(reply.errors)}`);
      return result.__typename === 'OrderPlaced'
        ? { key, kind: 'OrderPlaced', orderId: result.order.id, attempts }
        : { key, kind: 'OrderRejected', reason: result.reason, attempts };
    }
    throw new Error(`placeOrder ${key}: no answer after 50 attempts`);
  };

  /** Every order containing `menuItemId`, as staff see them in the orders database. */
  const ordersWith = async (menuItemId: string) => {
    const found: { id: string; status: string; quantity: number }[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (
        await data(
          `query ($after: String) { orders(first: 100, after: $after) { edges { node { id status lines { quantity menuItem { id } } } } pageInfo { hasNextPage endCursor } } }`,
          {
            variables: { after },
            token: staffToken,
          },
        )
      ).orders;
      for (const { node } of page.edges) {
        for (const line of node.lines)
          if (line.menuItem.id === menuItemId) found.push({ id: node.id, status: node.status, quantity: line.quantity });
      }
      if (!page.pageInfo.hasNextPage) return found;
      after = page.pageInfo.endCursor;
    }
  };

  beforeAll(async () => {
    redis = new Redis(REDIS_URL!);
    const gatewayEnv: Env = {
      REDIS_URL: REDIS_URL!,
      REDIS_KEY_PREFIX: redisPrefix,
      APQ: 'true',
      RATE_LIMIT: 'true',
      RATE_LIMIT_IP: String(RATE_LIMIT_IP),
      // Long enough that the budget test never straddles two windows.
      RATE_LIMIT_WINDOW_S: '3600',
      RATE_LIMIT_USER: '100000',
      RATE_LIMIT_AUTH_FIELDS: '100000',
      // Behind the load balancer: the client is the address it appends to x-forwarded-for.
      TRUST_PROXY: 'true',
      // The races below put dozens of sagas on one machine at once.
      ...UNHURRIED.gateway,
    };
    stack = await startStack({ databaseUrl: DATABASE_URL!, serviceEnv: { gateway: gatewayEnv, orders: UNHURRIED.orders } });
    urlA = stack.url;
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, stack.services[name].url]));
    replicaB = await createGateway(
      await loadGatewayConfig({
        LOG_LEVEL: 'silent',
        HEALTH_CHECK_INTERVAL_MS: '500',
        SERVICE_TRUSTED_KEYS: JSON.stringify(stack.keyring.trusted),
        SERVICE_SIGNING_KEY: JSON.stringify(stack.keyring.privateKeys.gateway),
        ...subgraphUrls,
        ...gatewayEnv,
      }),
    );
    urlB = `${await replicaB.listen(0)}/graphql`;
    for (const url of [urlA, urlB]) {
      const ready = new URL('/ready', url);
      // Bounded by the hook timeout rather than a guess: a loaded machine only makes this slower.
      for (let i = 0; (await fetch(ready)).status !== 200; i++) {
        if (i > 1_000) throw new Error(`${ready} never became ready`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    lb = await startLoadBalancer([new URL(urlA).origin, new URL(urlB).origin]);

    adminToken = (await logIn(ADMIN.email, ADMIN.password)).accessToken;
    staffToken = await signUp('STAFF');
    customers = await Promise.all([signUp('CUSTOMER'), signUp('CUSTOMER'), signUp('CUSTOMER')]);
  });

  afterAll(async () => {
    await lb?.close();
    await replicaB?.stop();
    await stack?.stop();
    if (redis) {
      // Only this run's keys: the Redis may be shared with other tests and services.
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
        keys.push(...batch);
        cursor = nextCursor;
      } while (cursor !== '0');
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('when 3N orders race through both replicas for an item stocked N, then exactly N are placed and stock is 0', async () => {
    const n = 10;
    const id = await newItem(n);
    const before = [...lb.served];
    const outcomes = await Promise.all(
      Array.from({ length: 3 * n }, (_, i) => placeUntilAnswered(customers[i % customers.length]!, id, `race-${run}-${i}`)),
    );
    expect(lb.served[0]! - before[0]!).toBeGreaterThan(0);
    expect(lb.served[1]! - before[1]!).toBeGreaterThan(0);
    const placed = outcomes.filter((o) => o.kind === 'OrderPlaced');
    const kinds = outcomes.map((o) => (o.kind === 'OrderPlaced' ? o.kind : o.reason));
    expect(kinds.sort()).toEqual([...Array(n).fill('OrderPlaced'), ...Array(2 * n).fill('OUT_OF_STOCK')].sort());
    expect(await stockOf(id)).toBe(0);
    const stored = await ordersWith(id);
    expect(stored.map((o) => o.id).sort()).toEqual(placed.map((o) => o.orderId).sort());
  });

  it('when one client alternates between the replicas, then its budget is shared: request 21 is refused with 429', async () => {
    const ip = freshIp();
    const before = [...lb.served];
    for (let i = 1; i <= RATE_LIMIT_IP; i++) {
      const reply = await api('{ __typename }', { ip });
      expect(reply.status, `request ${i}`).toBe(200);
    }
    // Each replica alone has seen only half the budget: only a shared counter refuses the next one.
    expect(lb.served[0]! - before[0]!).toBe(RATE_LIMIT_IP / 2);
    expect(lb.served[1]! - before[1]!).toBe(RATE_LIMIT_IP / 2);
    const refused = await api('{ __typename }', { ip });
    expect(refused.status).toBe(429);
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    // Straight to the other replica too, not just through the balancer's next pick.
    for (const url of [urlA, urlB]) expect((await graphql(url, { query: '{ __typename }', ip })).status).toBe(429);
    expect((await api('{ __typename }', { ip: freshIp() })).status).toBe(200);
    expect(await redis.keys(`${redisPrefix}*`)).not.toHaveLength(0);
  });

  it('when a persisted query is registered on replica A, then replica B runs it from its hash alone', async () => {
    const query = `query ScaleOutApq${run} { menu(category: DESSERT) { id name } }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const unknown = await graphql(urlB, { extensions });
    expect(codesOf(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

    const registered = await graphql(urlA, { query, extensions });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.menu.length).toBeGreaterThan(0);

    const fromHash = await graphql(urlB, { extensions });
    expect(fromHash.errors).toBeUndefined();
    expect(fromHash.data).toEqual(registered.data);
  });

  it('when replica A dies mid-burst, then every order the clients were told is placed is stored, none twice, and stock is conserved', async () => {
    const initial = 20;
    const total = 40;
    const id = await newItem(initial);
    const keys = Array.from({ length: total }, (_, i) => `burst-${run}-${i}`);
    const outcomes: Outcome[] = [];
    let killed: Promise<void> | undefined;
    let servedByABeforeKill = 0;
    const killA = () => {
      servedByABeforeKill = lb.served[0]!;
      // A crash, not a drain: in-flight requests lose their connections, so their clients never hear
      // whether the order went through.
      const app = stack.services.gateway.app;
      app.server.closeAllConnections();
      killed = stack.services.gateway.stop();
    };
    let nextKey = 0;
    const worker = async (w: number) => {
      while (nextKey < keys.length) {
        const key = keys[nextKey++]!;
        outcomes.push(await placeUntilAnswered(customers[w % customers.length]!, id, key));
        if (outcomes.length === 10 && !killed) killA();
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await killed;

    expect(killed).toBeDefined();
    expect(servedByABeforeKill).toBeGreaterThan(0);
    await expect(graphql(urlA, { query: '{ __typename }' })).rejects.toThrow(/ECONNREFUSED/);
    expect(outcomes).toHaveLength(total);

    const placed = outcomes.filter((o) => o.kind === 'OrderPlaced');
    expect(placed.length).toBeGreaterThan(0);
    expect(new Set(placed.map((o) => o.orderId)).size).toBe(placed.length);
    const stored = await ordersWith(id);
    // Every order a client was told about is stored and placed, and no retry created a second one.
    expect(stored.map((o) => o.id).sort()).toEqual(placed.map((o) => o.orderId).sort());
    for (const o of stored) expect(o.status).toBe('PLACED');
    const placedQuantity = stored.reduce((sum, o) => sum + o.quantity, 0);
    expect((await stockOf(id)) + placedQuantity).toBe(initial);
  });
});
