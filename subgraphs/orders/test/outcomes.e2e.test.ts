/**
 * Outcomes never lie: what a client is told about placeOrder matches what happened, whatever the timing
 * (orders frozen past the gateway's timeout) and whatever else is down (menu, a station).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENGINES, TEST_DATABASE_URL, runFaultLoad, startStack, type SignedInUser, type Stack } from '@brigade/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { item, lines } from './support.js';

const PLACE = /* GraphQL */ `
  mutation ($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced {
        order {
          id
          status
          total {
            amount
          }
          lines {
            name
            quantity
            unitPrice {
              amount
            }
            menuItem {
              id
              name
              stock
            }
          }
        }
      }
      ... on OrderRejected {
        reason
      }
    }
  }
`;
const MY_ORDERS = `query { myOrders(first: 100) { edges { node { id status } } } }`;

const codes = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stockOf(stack: Stack, id: string): Promise<number> {
  const r = await stack.query<{ menuItem: { stock: number } }>(`query($id: ID!) { menuItem(id: $id) { stock } }`, { variables: { id } });
  if (typeof r.data?.menuItem?.stock !== 'number') throw new Error(`no stock: ${JSON.stringify(r)}`);
  return r.data.menuItem.stock;
}

async function myOrders(stack: Stack, user: SignedInUser): Promise<{ id: string; status: string }[]> {
  const r = await stack.query(MY_ORDERS, { token: user.accessToken });
  if (!r.data) throw new Error(`myOrders failed: ${JSON.stringify(r.errors)}`);
  return r.data.myOrders.edges.map((e: { node: { id: string; status: string } }) => e.node);
}

/** A proxy the gateway reaches a subgraph through, which can be switched to refuse everything (as if down). */
async function startSwitch(): Promise<{ url: string; target?: string; down: boolean; close(): Promise<void> }> {
  const state: { target?: string; down: boolean } = { down: false };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (state.down || !state.target) return void res.destroy();
    const target = new URL(req.url ?? '/', state.target);
    const upstream = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    upstream.end(Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

describe.each(ENGINES)('placeOrder outcomes, on %s', (engine) => {
  const databaseUrl = engine === 'postgres' ? TEST_DATABASE_URL : null;
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('when orders is frozen past the gateway timeout, then the order the client was told failed is never placed, and a retry without a key places exactly one', async () => {
    // Budgets with room for a loaded machine: the retry below must fit orders' deadline without a freeze.
    const gatewayTimeoutMs = 3_000;
    const stack = await startStack({
      databaseUrl,
      processes: ['orders'],
      // orders' own budget fits within the gateway's timeout, as configured in production: only the freeze
      // (a GC pause, a starved CPU, a queue ahead) makes the request outlive the gateway's patience.
      serviceEnv: { gateway: { SUBGRAPH_TIMEOUT_MS: String(gatewayTimeoutMs) }, orders: { ORDERS_DEADLINE_MS: '2400' } },
    });
    cleanup.push(() => stack.stop());
    const customer = await stack.signUp();
    const pasta = await stockOf(stack, item('Pasta').id);
    const input = { lines: lines(['Pasta', 1]) };

    stack.services.orders.signal('SIGSTOP');
    let frozen = true;
    try {
      const first = await stack.query(PLACE, { variables: { input }, token: customer.accessToken });
      expect(codes(first)).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(first.data).toBeNull();
      await sleep(1_000);
      stack.services.orders.signal('SIGCONT');
      frozen = false;
    } finally {
      if (frozen) stack.services.orders.signal('SIGCONT');
    }
    // orders wakes with the request still unread in its socket: it must see that nobody waits any more.
    await sleep(2_000);
    expect(await myOrders(stack, customer)).toEqual([]);
    expect(await stockOf(stack, item('Pasta').id)).toBe(pasta);

    const retry = await stack.query(PLACE, { variables: { input }, token: customer.accessToken });
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.placeOrder).toMatchObject({ __typename: 'OrderPlaced' });
    expect(await myOrders(stack, customer)).toEqual([{ id: retry.data!.placeOrder.order.id, status: 'PLACED' }]);
    expect(await stockOf(stack, item('Pasta').id)).toBe(pasta - 1);
  }, 180_000);

  describe('with one stack whose gateway reaches menu through a switch', () => {
    let menuSwitch: Awaited<ReturnType<typeof startSwitch>>;
    let stack: Stack;
    beforeAll(async () => {
      menuSwitch = await startSwitch();
      // Only the gateway's view of menu goes down: orders still prices the order, so it is placed, and the
      // gateway then fails to fetch the lines' menu items.
      stack = await startStack({ databaseUrl, serviceEnv: { gateway: { SUBGRAPH_MENU_URL: menuSwitch.url } } });
      menuSwitch.target = stack.services.menu.url;
    });
    afterAll(async () => {
      await stack?.stop();
      await menuSwitch?.close();
    });

    it('when menu is down while an order is placed and while it is replayed, then both answer OrderPlaced with the line names and an error only at menuItem', async () => {
      const customer = await stack.signUp();
      const input = { lines: lines(['Pasta', 2], ['Coffee', 1]), idempotencyKey: `menu-down-${engine}` };

      menuSwitch.down = true;
      const placed = await stack.query(PLACE, { variables: { input }, token: customer.accessToken });
      expect(placed.data!.placeOrder).toMatchObject({
        __typename: 'OrderPlaced',
        order: {
          status: 'PLACED',
          total: { amount: 2 * item('Pasta').price + item('Coffee').price },
          lines: [
            { name: 'Pasta', quantity: 2, unitPrice: { amount: item('Pasta').price }, menuItem: null },
            { name: 'Coffee', quantity: 1, unitPrice: { amount: item('Coffee').price }, menuItem: null },
          ],
        },
      });
      expect(placed.errors?.length).toBeGreaterThan(0);
      for (const error of placed.errors!) {
        expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'menu' });
      }

      // The replay answers from orders' own tables: the same order, the same names, menu still down.
      const replay = await stack.query(PLACE, { variables: { input }, token: customer.accessToken });
      expect(replay.data!.placeOrder).toEqual(placed.data!.placeOrder);
      expect(codes(replay).every((c) => c === 'SUBGRAPH_UNAVAILABLE')).toBe(true);

      menuSwitch.down = false;
      const healthy = await stack.query(PLACE, { variables: { input }, token: customer.accessToken });
      expect(healthy.errors).toBeUndefined();
      expect(healthy.data!.placeOrder.order.lines[0]).toMatchObject({ name: 'Pasta', menuItem: { id: item('Pasta').id, name: 'Pasta' } });
      expect(await myOrders(stack, customer)).toHaveLength(1);
    });

    // Last on this stack: it leaves the bar stopped.
    it('when a station is down after an order was placed, then its keyed replay answers OrderPlaced with the line names and an error only at that station’s menuItem', async () => {
      const customer = await stack.signUp();
      const input = { lines: lines(['Soda', 1], ['Cookie', 1]), idempotencyKey: `bar-down-${engine}` };
      const placed = await stack.query(PLACE, { variables: { input }, token: customer.accessToken });
      expect(placed.errors).toBeUndefined();
      expect(placed.data!.placeOrder.__typename).toBe('OrderPlaced');

      await stack.services.bar.stop();
      const replay = await stack.query(PLACE, { variables: { input }, token: customer.accessToken });
      expect(replay.data!.placeOrder).toMatchObject({
        __typename: 'OrderPlaced',
        order: {
          id: placed.data!.placeOrder.order.id,
          lines: [
            { name: 'Soda', quantity: 1, menuItem: null },
            { name: 'Cookie', quantity: 1, menuItem: { id: item('Cookie').id, name: 'Cookie' } },
          ],
        },
      });
      expect(codes(replay).length).toBeGreaterThan(0);
      for (const error of replay.errors!) expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'bar' });
    });
  });

  it('when the bar is frozen and then killed under load, then every client told that its order failed has no such order', async () => {
    const stack = await startStack({
      databaseUrl,
      processes: ['bar'],
      serviceEnv: { orders: { STATION_TIMEOUT_MS: '1500', ORDERS_DEADLINE_MS: '3000' }, gateway: { SUBGRAPH_TIMEOUT_MS: '4000' } },
    });
    cleanup.push(() => stack.stop());
    const result = await runFaultLoad(stack, {
      customers: 10,
      // 3 s of orders, the bar frozen for 4 s and then killed, 3 s more of orders with it gone.
      durationMs: 10_000,
      faultAfterMs: 3_000,
      settleMs: 4_000,
      restock: 1_000,
      fault: async (s) => {
        s.services.bar.signal('SIGSTOP');
        await sleep(4_000);
        s.services.bar.signal('SIGKILL');
      },
    });
    console.log(`fault load on ${engine}: ${JSON.stringify(result)}`);
    // The fault happened while customers were ordering: some orders were placed, some not.
    expect(result.toldPlaced).toBeGreaterThan(0);
    expect(result.toldRejected + result.toldFailed).toBeGreaterThan(0);
    expect(result).toMatchObject({ toldFailedButPlaced: 0, toldPlacedButMissing: 0 });
    expect(result.placed).toBe(result.toldPlaced);
  }, 240_000);
});
