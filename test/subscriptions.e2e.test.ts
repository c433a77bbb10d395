/**
 * Live updates through the gateway, whole stack, over both transports clients use: GraphQL over SSE
 * (graphql-sse's distinct connections) and Apollo's multipart subscription protocol.
 */
import {
  startStack,
  subscribe,
  type LiveResult,
  type LiveStream,
  type LiveTransport,
  type SignedInUser,
  type Stack,
} from '@brigade/testing';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import type { JWK } from 'jose';
import { appendFileSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSigningKey, signAccessToken, signCredential } from './support/tokens.js';

const PLACE = /* GraphQL */ `
  mutation ($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced {
        order {
          id
          status
          version
        }
      }
    }
  }
`;
const ORDER_UPDATED = /* GraphQL */ `
  subscription ($id: ID!) {
    orderUpdated(id: $id) {
      id
      status
      version
      lines {
        quantity
        menuItem {
          name
        }
      }
    }
  }
`;
const MY_ORDERS = 'subscription { myOrderUpdates { id status version } }';
const BOARD = 'subscription ($station: Station) { orderBoard(station: $station) { id status lines { quantity menuItem { name } } } }';
const DRINK_STOCK = 'subscription { drinkStockChanged { id name stock available } }';

const RESERVATION_TTL_MS = 3_000;

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The next result that is an event (data) `match` accepts, skipping other events, failing on an error result.
 * A board streams every order's changes, so a board test matches the orders it placed.
 */
async function nextData(
  stream: LiveStream,
  timeoutMs?: number,
  match: (data: Record<string, any>) => boolean = () => true,
): Promise<Record<string, any>> {
  const result = await stream.nextWhere((r) => !r.data || Boolean(r.errors?.length) || match(r.data), timeoutMs);
  if (result === 'end') throw new Error(`stream ended; results: ${JSON.stringify(stream.results)}`);
  if (result.errors?.length || !result.data) throw new Error(`error result: ${JSON.stringify(result)}`);
  return result.data;
}

/** A refused or ended stream: one result with `code`, then the end. */
async function expectRefused(stream: LiveStream, code: string): Promise<LiveResult> {
  const result = await stream.next();
  expect(result).not.toBe('end');
  expect((result as LiveResult).errors?.[0]?.extensions?.code).toBe(code);
  expect(await stream.next()).toBe('end');
  return result as LiveResult;
}

describe('live updates through the gateway', () => {
  let stack: Stack;
  let authKey: JWK;
  let staff: SignedInUser;
  let items: Record<string, string>;
  const open: LiveStream[] = [];
  // The gateway reads a copy of the supergraph, so one test can change it (a reload) without touching the repo's.
  const folder = mkdtempSync(join(tmpdir(), 'brigade-live-'));
  const supergraphPath = join(folder, 'supergraph.graphql');
  copyFileSync(fileURLToPath(new URL('../supergraph.graphql', import.meta.url)), supergraphPath);

  const live = async (
    transport: LiveTransport,
    query: string,
    options: { token?: string; variables?: Record<string, unknown>; method?: 'GET' | 'POST' } = {},
  ) => {
    const stream = await subscribe(stack.url, { transport, query, ...options });
    open.push(stream);
    return stream;
  };

  const place = async (token: string, lines: [string, number][]) => {
    const result = await stack.query(PLACE, {
      token,
      variables: { input: { lines: lines.map(([name, quantity]) => ({ menuItemId: items[name], quantity })) } },
    });
    const order = result.data?.placeOrder?.order;
    if (!order) throw new Error(`placeOrder failed: ${JSON.stringify(result)}`);
    return order as { id: string; status: string; version: number };
  };

  const advance = async (id: string, status: string) => {
    const result = await stack.query('mutation ($id: ID!, $s: OrderStatus!) { advanceOrder(id: $id, status: $s) { status } }', {
      token: staff.accessToken,
      variables: { id, s: status },
    });
    expect(result.errors).toBeUndefined();
  };

  const cancel = async (token: string, id: string) => {
    const result = await stack.query('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { token, variables: { id } });
    expect(result.errors).toBeUndefined();
  };

  beforeAll(async () => {
    authKey = await newSigningKey('live-tests');
    stack = await startStack({
      serviceEnv: {
        auth: { AUTH_SIGNING_KEY: JSON.stringify(authKey) },
        bar: { RESERVATION_TTL_MS: String(RESERVATION_TTL_MS), RESERVATION_SWEEP_MS: '200' },
        gateway: {
          SUPERGRAPH_PATH: supergraphPath,
          SUBSCRIPTIONS_PER_VIEWER: '6',
          SUBSCRIPTION_HEARTBEAT_MS: '1000',
          RATE_LIMIT_USER: '100000',
          RATE_LIMIT_IP: '100000',
        },
      },
    });
    staff = await stack.userWithRole('STAFF');
    const menu = await stack.query('{ menu { id name } }');
    items = Object.fromEntries((menu.data!.menu as { id: string; name: string }[]).map((m) => [m.name, m.id]));
  }, 120_000);

  afterAll(async () => {
    for (const stream of open) stream.close();
    await stack?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  describe.each(['sse', 'multipart'] as const)('over %s', (transport) => {
    it('when the owner subscribes to orderUpdated, then the first event is the order now (menu items named), then each change as staff advances it', async () => {
      const customer = await stack.signUp();
      const order = await place(customer.accessToken, [
        ['Coffee', 2],
        ['Pasta', 1],
      ]);
      const stream = await live(transport, ORDER_UPDATED, { token: customer.accessToken, variables: { id: order.id } });
      expect(stream.status).toBe(200);

      const first = await nextData(stream);
      expect(first.orderUpdated).toMatchObject({ id: order.id, status: 'PLACED', version: 1 });
      expect(first.orderUpdated.lines.map((l: { menuItem: { name: string } }) => l.menuItem.name).sort()).toEqual(['Coffee', 'Pasta']);

      await advance(order.id, 'PREPARING');
      expect((await nextData(stream)).orderUpdated).toMatchObject({ status: 'PREPARING', version: 2 });
      await advance(order.id, 'READY');
      expect((await nextData(stream)).orderUpdated).toMatchObject({ status: 'READY', version: 3 });
      stream.close();
    });

    it('when a customer places and cancels an order, then myOrderUpdates sends both changes, and nothing of other customers', async () => {
      const customer = await stack.signUp();
      const other = await stack.signUp();
      const stream = await live(transport, MY_ORDERS, { token: customer.accessToken });
      await place(other.accessToken, [['Soda', 1]]);
      const order = await place(customer.accessToken, [['Soda', 1]]);
      expect((await nextData(stream)).myOrderUpdates).toEqual({ id: order.id, status: 'PLACED', version: 1 });
      await cancel(customer.accessToken, order.id);
      expect((await nextData(stream)).myOrderUpdates).toEqual({ id: order.id, status: 'CANCELLED', version: 2 });
      expect(stream.results).toHaveLength(2);
      stream.close();
    });

    it('when staff watch the BAR board, then a drink order arrives and a food-only order does not', async () => {
      const customer = await stack.signUp();
      const stream = await live(transport, BOARD, { token: staff.accessToken, variables: { station: 'BAR' } });
      const food = await place(customer.accessToken, [['Pizza', 1]]);
      const drink = await place(customer.accessToken, [
        ['Wine', 1],
        ['Steak', 1],
      ]);
      // An order another test committed just before this subscription began may still arrive first: skip it.
      const event = (await nextData(stream, undefined, (data) => [food.id, drink.id].includes(data.orderBoard?.id))).orderBoard;
      expect(event.id).toBe(drink.id);
      expect(event.lines.map((l: { menuItem: { name: string } }) => l.menuItem.name).sort()).toEqual(['Steak', 'Wine']);
      expect(stream.results.some((r) => r.data?.orderBoard?.id === food.id)).toBe(false);
      stream.close();
    });

    it("when another customer subscribes to someone's order, then FORBIDDEN and nothing after — not even its id", async () => {
      const owner = await stack.signUp();
      const intruder = await stack.signUp();
      const order = await place(owner.accessToken, [['Cookie', 1]]);
      const stream = await live(transport, ORDER_UPDATED, { token: intruder.accessToken, variables: { id: order.id } });
      const refusal = await expectRefused(stream, 'FORBIDDEN');
      expect(JSON.stringify(refusal)).not.toContain('"status"');
      expect(refusal.data ?? null).toBeNull();
    });

    it('when an anonymous client subscribes to orderUpdated, then UNAUTHENTICATED and the end', async () => {
      const owner = await stack.signUp();
      const order = await place(owner.accessToken, [['Cookie', 1]]);
      const stream = await live(transport, ORDER_UPDATED, { variables: { id: order.id } });
      await expectRefused(stream, 'UNAUTHENTICATED');
    });

    it('when a customer subscribes to the staff board, then FORBIDDEN and the end', async () => {
      const customer = await stack.signUp();
      await expectRefused(await live(transport, BOARD, { token: customer.accessToken }), 'FORBIDDEN');
    });

    it('when the token is forged, then 401 before anything starts', async () => {
      const forged = await signAccessToken(await newSigningKey(authKey.kid!), { sub: staff.id });
      const stream = await live(transport, BOARD, { token: forged });
      expect(stream.status).toBe(401);
      const result = await stream.next();
      expect((result as LiveResult).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('when the access token expires, then the stream ends with UNAUTHENTICATED', async () => {
      const customer = await stack.signUp();
      const token = await signAccessToken(authKey, { sub: customer.id, expiresIn: 2 });
      const stream = await live(transport, MY_ORDERS, { token });
      await expectRefused(stream, 'UNAUTHENTICATED');
    });

    it('when the document breaks an operation limit, then the subscription is refused like a query would be', async () => {
      const customer = await stack.signUp();
      const stream = await live(transport, 'subscription { myOrderUpdates { id nope } }', { token: customer.accessToken });
      await expectRefused(stream, 'GRAPHQL_VALIDATION_FAILED');
    });
  });

  it('when stock changes at the bar — an order, a cancel, an expired hold, a restock — then drinkStockChanged sends each new level', async () => {
    const customer = await stack.signUp();
    const stream = await live('sse', DRINK_STOCK, { method: 'GET' });
    const level = async () =>
      (await stack.query('query ($id: ID!) { menuItem(id: $id) { stock } }', { variables: { id: items.Soda } })).data!.menuItem
        .stock as number;
    const start = await level();
    const next = async () => {
      for (;;) {
        const event = (await nextData(stream)).drinkStockChanged;
        if (event.id === items.Soda) return event;
      }
    };

    const order = await place(customer.accessToken, [['Soda', 3]]);
    expect(await next()).toMatchObject({ name: 'Soda', stock: start - 3, available: true });
    await cancel(customer.accessToken, order.id);
    expect(await next()).toMatchObject({ stock: start });

    // A hold the saga never confirms (as if orders died mid-saga) expires at the station.
    const credential = await signCredential(stack.keyring.privateKeys.orders, 'orders', 'bar');
    const held = await fetch(stack.services.bar.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
      body: JSON.stringify({
        query: 'mutation ($o: ID!, $l: [StockLineInput!]!) { reserveStock(orderId: $o, lines: $l) { status } }',
        variables: { o: crypto.randomUUID(), l: [{ menuItemId: items.Soda, quantity: 2 }] },
      }),
    });
    expect(((await held.json()) as { data: { reserveStock: { status: string } } }).data.reserveStock.status).toBe('HELD');
    expect(await next()).toMatchObject({ stock: start - 2 });
    expect(await next()).toMatchObject({ stock: start });

    const restock = await stack.query('mutation ($id: ID!) { restockDrink(id: $id, quantity: 5) { stock } }', {
      token: staff.accessToken,
      variables: { id: items.Soda },
    });
    expect(restock.errors).toBeUndefined();
    expect(await next()).toMatchObject({ stock: start + 5 });
    stream.close();
  });

  it('when a web client subscribes with Apollo Client 4 (HttpLink, multipart), then it receives the order and its changes', async () => {
    const customer = await stack.signUp();
    const order = await place(customer.accessToken, [['Wine', 1]]);
    const client = new ApolloClient({
      link: new HttpLink({ uri: stack.url, headers: { authorization: `Bearer ${customer.accessToken}` } }),
      cache: new InMemoryCache(),
    });
    const received: { status: string; version: number }[] = [];
    const errors: unknown[] = [];
    const subscription = client
      .subscribe({
        query: gql`
          subscription Watch($id: ID!) {
            orderUpdated(id: $id) {
              id
              status
              version
              lines {
                menuItem {
                  name
                }
              }
            }
          }
        `,
        variables: { id: order.id },
      })
      .subscribe({
        next: (result) => {
          if (result.error) errors.push(result.error);
          const updated = (result.data as { orderUpdated?: { status: string; version: number } } | undefined)?.orderUpdated;
          if (updated) received.push({ status: updated.status, version: updated.version });
        },
        error: (error) => errors.push(error),
      });
    try {
      await until(() => received.length === 1);
      await advance(order.id, 'PREPARING');
      await until(() => received.length === 2);
      expect(received).toEqual([
        { status: 'PLACED', version: 1 },
        { status: 'PREPARING', version: 2 },
      ]);
      expect(errors).toEqual([]);
    } finally {
      subscription.unsubscribe();
      client.stop();
    }
  });

  it('when a viewer opens more subscriptions than the cap, then the one over it is refused with TOO_MANY_SUBSCRIPTIONS', async () => {
    const customer = await stack.signUp();
    const streams = [];
    for (let i = 0; i < 6; i++) streams.push(await live('sse', MY_ORDERS, { token: customer.accessToken }));
    await expectRefused(await live('multipart', MY_ORDERS, { token: customer.accessToken }), 'TOO_MANY_SUBSCRIPTIONS');
    for (const s of streams) s.close();
  });

  it('when clients disconnect, then no stream, upstream subscription, listener or timer is left', async () => {
    const customer = await stack.signUp();
    const order = await place(customer.accessToken, [['Coffee', 1]]);
    const streams = [
      await live('sse', ORDER_UPDATED, { token: customer.accessToken, variables: { id: order.id } }),
      await live('multipart', ORDER_UPDATED, { token: customer.accessToken, variables: { id: order.id } }),
      await live('multipart', MY_ORDERS, { token: customer.accessToken }),
      await live('sse', BOARD, { token: staff.accessToken }),
      await live('sse', DRINK_STOCK),
    ];
    await nextData(streams[0]!);
    await nextData(streams[1]!);
    const gateway = stack.services.gateway.app as unknown as {
      subscriptions: { stats(): { open: number; upstreams: number; timers: number } };
    };
    expect(gateway.subscriptions.stats().open).toBeGreaterThanOrEqual(5);
    for (const s of [...open]) s.close();
    await until(() => {
      const stats = gateway.subscriptions.stats();
      return stats.open === 0 && stats.upstreams === 0 && stats.timers === 0;
    });
    const openStreams = async (service: 'orders' | 'bar') => {
      const text = await (await fetch(new URL('/metrics', stack.services[service].url))).text();
      return Number(/^brigade_subgraph_streams_open\S* (\d+)/m.exec(text)?.[1]);
    };
    await until(async () => (await openStreams('orders')) === 0 && (await openStreams('bar')) === 0);
    const metrics = await (await fetch(new URL('/metrics', stack.origin))).text();
    expect(metrics).toMatch(/brigade_gateway_subscriptions_open 0/);
    expect(metrics).toMatch(/brigade_gateway_subscriptions_ended_total\{reason="client_closed"\} \d+/);
    expect(metrics).toMatch(/brigade_gateway_subscription_events_sent_total \d+/);
  });

  it('when the gateway loads a new supergraph, then open streams end with SUPERGRAPH_RELOADED (clients subscribe again)', async () => {
    const customer = await stack.signUp();
    const stream = await live('multipart', MY_ORDERS, { token: customer.accessToken });
    appendFileSync(supergraphPath, '\n# reloaded by a test\n');
    await expectRefused(stream, 'SUPERGRAPH_RELOADED');
    const again = await live('sse', MY_ORDERS, { token: customer.accessToken });
    const order = await place(customer.accessToken, [['Soda', 1]]);
    expect((await nextData(again)).myOrderUpdates).toMatchObject({ id: order.id, status: 'PLACED' });
    again.close();
  });

  it('when the gateway is told to stop (SIGTERM), then open streams end with SHUTTING_DOWN so clients reconnect elsewhere', async () => {
    const customer = await stack.signUp();
    const sse = await live('sse', MY_ORDERS, { token: customer.accessToken });
    const multipart = await live('multipart', MY_ORDERS, { token: customer.accessToken });
    await stack.services.gateway.stop();
    await expectRefused(sse, 'SHUTTING_DOWN');
    await expectRefused(multipart, 'SHUTTING_DOWN');
  });
});
