import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  ENGINES,
  TEST_DATABASE_URL,
  compiledArgs,
  eventually,
  freePort,
  startStack,
  type SignedInUser,
  type Stack,
  scratchFolder,
  UNHURRIED,
} from '@brigade/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLACE, item, lines } from './support.js';

const codes = (r: { errors?: { extensions?: Record<string, unknown> }[] }) => (r.errors ?? []).map((e) => e.extensions?.code);

async function stockOf(stack: Stack, id: string): Promise<number> {
  const r = await stack.query<{ menuItem: { stock: number } }>(`query($id: ID!) { menuItem(id: $id) { stock } }`, { variables: { id } });
  if (typeof r.data?.menuItem?.stock !== 'number') throw new Error(`no stock: ${JSON.stringify(r)}`);
  return r.data.menuItem.stock;
}

const ORDER_FIELDS = `id status total { amount currency } lines { quantity subtotal { amount } menuItem { id name stock available } }`;

describe.each(ENGINES)('orders through the gateway, on %s', (engine) => {
  let stack: Stack;
  let alice: SignedInUser;
  let bob: SignedInUser;
  let staffer: SignedInUser;
  const place = (user: SignedInUser, input: unknown) => stack.query(PLACE, { variables: { input }, token: user.accessToken });

  beforeAll(async () => {
    stack = await startStack({
      databaseUrl: engine === 'postgres' ? TEST_DATABASE_URL : null,
      // The race below puts 40 sagas on one machine at once.
      serviceEnv: UNHURRIED,
    });
    [alice, bob, staffer] = await Promise.all([stack.signUp(), stack.signUp(), stack.userWithRole('STAFF')]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('when Coffee×2 + Pasta + Cookie is ordered, then it is placed, stock drops, and it shows in myOrders and me.orders with names and live stock', async () => {
    const before = await Promise.all(['Coffee', 'Pasta', 'Cookie'].map((n) => stockOf(stack, item(n).id)));
    const r = await place(alice, { lines: lines(['Coffee', 2], ['Pasta', 1], ['Cookie', 1]) });
    expect(r.errors).toBeUndefined();
    expect(r.data!.placeOrder.__typename).toBe('OrderPlaced');
    const id = r.data!.placeOrder.order.id;
    expect(r.data!.placeOrder.order.total).toEqual({ amount: 2200, currency: 'USD' });
    const after = await Promise.all(['Coffee', 'Pasta', 'Cookie'].map((n) => stockOf(stack, item(n).id)));
    expect(after).toEqual([before[0]! - 2, before[1]! - 1, before[2]! - 1]);

    const mine = await stack.query(`query { myOrders { edges { node { ${ORDER_FIELDS} } } } me { orders { edges { node { id } } } } }`, {
      token: alice.accessToken,
    });
    expect(mine.errors).toBeUndefined();
    const node = mine.data!.myOrders.edges[0].node;
    expect(node.id).toBe(id);
    expect(node.lines).toContainEqual({
      quantity: 2,
      subtotal: { amount: 600 },
      menuItem: { id: item('Coffee').id, name: 'Coffee', stock: after[0], available: true },
    });
    expect(mine.data!.me.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([id]);
  });

  it('when Beer is ordered with Coffee, then OUT_OF_STOCK with available 0 and Coffee stock is unchanged', async () => {
    const coffee = await stockOf(stack, item('Coffee').id);
    const r = await place(bob, { lines: lines(['Beer', 1], ['Coffee', 1]) });
    expect(r.data!.placeOrder).toMatchObject({
      __typename: 'OrderRejected',
      reason: 'OUT_OF_STOCK',
      lines: [{ menuItemId: item('Beer').id, reason: 'OUT_OF_STOCK', available: 0 }],
    });
    expect(await stockOf(stack, item('Coffee').id)).toBe(coffee);
  });

  it('when 40 orders race for an item restocked to 10, then exactly 10 are placed and stock is 0', async () => {
    const admin = await stack.adminToken();
    const created = await stack.query(`mutation { createMenuItem(input: { name: "Racy tart", price: 450, category: DESSERT }) { id } }`, {
      token: admin,
    });
    const id = created.data!.createMenuItem.id;
    const restocked = await stack.query(`mutation($id: ID!) { restockPastry(id: $id, quantity: 10) { stock } }`, {
      variables: { id },
      token: staffer.accessToken,
    });
    expect(restocked.data!.restockPastry.stock).toBe(10);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => place(i % 2 ? alice : bob, { lines: [{ menuItemId: id, quantity: 1 }] })),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    const outcomes = results.map((r) => (r.data!.placeOrder.__typename === 'OrderPlaced' ? 'OrderPlaced' : r.data!.placeOrder.reason));
    expect(outcomes.sort()).toEqual([...Array(10).fill('OrderPlaced'), ...Array(30).fill('OUT_OF_STOCK')].sort());
    expect(await stockOf(stack, id)).toBe(0);
  });

  it('when one key is sent twice concurrently, then there is one order and stock drops once', async () => {
    const wine = await stockOf(stack, item('Wine').id);
    const input = { lines: lines(['Wine', 1]), idempotencyKey: 'e2e-once' };
    const [a, b] = await Promise.all([place(alice, input), place(alice, input)]);
    expect(a.data!.placeOrder.order.id).toBe(b.data!.placeOrder.order.id);
    expect(await stockOf(stack, item('Wine').id)).toBe(wine - 1);
  });

  it('when B asks for A’s order by id or pages with A’s cursor, then B gets nothing; staff see it through orders', async () => {
    const placed = await place(alice, { lines: lines(['Brownie', 1]) });
    const id = placed.data!.placeOrder.order.id;
    const byId = await stack.query(`query($id: ID!) { order(id: $id) { id } }`, { variables: { id }, token: bob.accessToken });
    expect(byId.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(byId.data!.order).toBeNull();
    const page = await stack.query(`query { myOrders(first: 1) { edges { cursor } } }`, { token: alice.accessToken });
    const cursor = page.data!.myOrders.edges[0].cursor;
    const forged = await stack.query(`query($c: String) { myOrders(after: $c, first: 100) { edges { node { id } } } }`, {
      variables: { c: cursor },
      token: bob.accessToken,
    });
    const aliceIds = (
      await stack.query(`query { myOrders(first: 100) { edges { node { id } } } }`, { token: alice.accessToken })
    ).data!.myOrders.edges.map((e: { node: { id: string } }) => e.node.id);
    for (const e of forged.data!.myOrders.edges) expect(aliceIds).not.toContain(e.node.id);
    const tampered = await stack.query(`query { myOrders(after: "eyJoYWNrIjoxfQ") { edges { node { id } } } }`, { token: bob.accessToken });
    expect(codes(tampered)).toEqual(['BAD_USER_INPUT']);
    const all = await stack.query(`query { orders(status: PLACED, first: 100) { edges { node { id customer { id } } } } }`, {
      token: staffer.accessToken,
    });
    expect(all.data!.orders.edges).toContainEqual({ node: { id, customer: { id: alice.id } } });
    expect(codes(await stack.query(`query { orders { edges { node { id } } } }`, { token: bob.accessToken }))).toEqual(['FORBIDDEN']);
  });

  it('when the owner cancels twice at once, then both answer CANCELLED and the stock comes back once', async () => {
    const gelato = await stockOf(stack, item('Gelato').id);
    const id = (await place(bob, { lines: lines(['Gelato', 2]) })).data!.placeOrder.order.id;
    expect(await stockOf(stack, item('Gelato').id)).toBe(gelato - 2);
    const cancel = `mutation($id: ID!) { cancelOrder(id: $id) { status } }`;
    const [a, b] = await Promise.all([0, 1].map(() => stack.query(cancel, { variables: { id }, token: bob.accessToken })));
    expect([a, b].map((r) => r!.data?.cancelOrder?.status)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(await stockOf(stack, item('Gelato').id)).toBe(gelato);
  });

  it('when the bar is stopped, then drinks are STATION_UNAVAILABLE with other stock untouched, food sells, and drinks sell once it is back', async () => {
    const pasta = await stockOf(stack, item('Pasta').id);
    await stack.services.bar.stop();
    try {
      const r = await place(alice, { lines: lines(['Soda', 1], ['Pasta', 1]) });
      expect(r.data!.placeOrder).toMatchObject({ __typename: 'OrderRejected', reason: 'STATION_UNAVAILABLE' });
      expect(await stockOf(stack, item('Pasta').id)).toBe(pasta);
      const food = await place(alice, { lines: lines(['Pasta', 1]) });
      expect(food.data!.placeOrder.__typename).toBe('OrderPlaced');
    } finally {
      await stack.services.bar.start();
    }
    const drinks = await place(alice, { lines: lines(['Soda', 1]) });
    expect(drinks.data!.placeOrder.__typename).toBe('OrderPlaced');
  });
});

describe('orders process killed mid-saga (ORDERS_FAULT=exit-after-reserve)', () => {
  let stack: Stack;
  let child: ChildProcess | undefined;
  let dataDir: string;
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

  afterAll(async () => {
    child?.kill('SIGKILL');
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when orders exits right after all holds are granted, then after a restart no stock is held for that order', async () => {
    dataDir = await scratchFolder('orders-kill-');
    const port = await freePort();
    const ordersUrl = `http://127.0.0.1:${port}/graphql`;
    stack = await startStack({
      databaseUrl: null,
      only: ['auth', 'menu', 'kitchen', 'bar', 'bakery'],
      env: { SUBGRAPH_ORDERS_URL: ordersUrl },
      // Holds outlive the test, so only orders' recovery can give the stock back.
      serviceEnv: { kitchen: { RESERVATION_TTL_MS: '600000' }, bakery: { RESERVATION_TTL_MS: '600000' } },
    });
    // Only what the child needs (no inherited DATABASE_URL: it keeps its PGlite database in dataDir).
    const env = (fault: boolean): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      SERVICE_SIGNING_KEY: JSON.stringify(stack.keyring.privateKeys.orders),
      SERVICE_TRUSTED_KEYS: JSON.stringify(stack.keyring.trusted),
      SUBGRAPH_MENU_URL: stack.services.menu.url,
      SUBGRAPH_KITCHEN_URL: stack.services.kitchen.url,
      SUBGRAPH_BAR_URL: stack.services.bar.url,
      SUBGRAPH_BAKERY_URL: stack.services.bakery.url,
      // The doomed process keeps the default grace: a short one could sweep its placement before the fault.
      ...(fault ? { ORDERS_FAULT: 'exit-after-reserve' } : { ORDERS_RECOVERY_GRACE_MS: '300', ORDERS_RECOVERY_INTERVAL_MS: '200' }),
    });
    const startOrders = async (fault: boolean) => {
      const proc = spawn(process.execPath, compiledArgs(main), { env: env(fault), stdio: 'ignore' });
      child = proc;
      await eventually(
        'orders is ready',
        async () => {
          if (proc.exitCode !== null) throw new Error(`orders exited with ${proc.exitCode}`);
          return fetch(`http://127.0.0.1:${port}/ready`).then(
            (r) => r.ok,
            () => false,
          );
        },
        60_000,
      );
      return proc;
    };
    const user = await stack.signUp();
    const steak = await stockOf(stack, item('Steak').id);
    const cookie = await stockOf(stack, item('Cookie').id);

    const doomed = await startOrders(true);
    const exited = new Promise<number | null>((resolve) => doomed.on('exit', (code) => resolve(code)));
    const r = await stack.query(PLACE, { variables: { input: { lines: lines(['Steak', 1], ['Cookie', 2]) } }, token: user.accessToken });
    expect(r.data?.placeOrder ?? null).toBeNull();
    expect(await exited).toBe(137);
    // The holds were granted before the death: the stock is still down.
    expect(await stockOf(stack, item('Steak').id)).toBe(steak - 1);

    await startOrders(false);
    await eventually('the kitchen hold is released', async () => (await stockOf(stack, item('Steak').id)) === steak);
    await eventually('the bakery hold is released', async () => (await stockOf(stack, item('Cookie').id)) === cookie);
    const mine = await stack.query(`query { myOrders { edges { node { id } } } }`, { token: user.accessToken });
    expect(mine.data!.myOrders.edges).toEqual([]);
  });
});
