import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, UNHURRIED, codesOf, customer, staff } from '@brigade/testing';
import { PLACE, item, lines, startHarness, type Harness } from './support.js';

const MY_ORDERS = /* GraphQL */ `
  query ($first: Int, $after: String) {
    myOrders(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          status
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

describe.each(ENGINES)('orders on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    // A race below puts 40 sagas and four subgraphs on this one event loop.
    h = await startHarness({ engine, ordersEnv: UNHURRIED.orders });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('when an order for Coffee×2 + Pasta + Cookie is placed, then it is PLACED with the right total and each station holds less stock', async () => {
    const alice = customer('alice-place');
    const before = {
      coffee: await h.stock('bar', item('Coffee').id),
      pasta: await h.stock('kitchen', item('Pasta').id),
      cookie: await h.stock('bakery', item('Cookie').id),
    };
    const r = await h.orders(PLACE, { input: { lines: lines(['Coffee', 2], ['Pasta', 1], ['Cookie', 1]) } }, alice);
    expect(r.errors).toBeUndefined();
    expect(r.data.placeOrder.__typename).toBe('OrderPlaced');
    const order = r.data.placeOrder.order;
    expect(order.status).toBe('PLACED');
    expect(order.total).toEqual({ amount: 2 * 300 + 1400 + 200, currency: 'USD' });
    expect(order.lines).toContainEqual({
      quantity: 2,
      menuItem: { id: item('Coffee').id },
      unitPrice: { amount: 300 },
      subtotal: { amount: 600 },
    });
    expect(await h.stock('bar', item('Coffee').id)).toBe(before.coffee - 2);
    expect(await h.stock('kitchen', item('Pasta').id)).toBe(before.pasta - 1);
    expect(await h.stock('bakery', item('Cookie').id)).toBe(before.cookie - 1);

    const mine = await h.orders(MY_ORDERS, {}, alice);
    expect(mine.data.myOrders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([order.id]);
    const byId = await h.orders(`query($id: ID!) { order(id: $id) { id createdAt customer { id } } }`, { id: order.id }, alice);
    expect(byId.data.order.customer).toEqual({ id: 'alice-place' });
    expect(new Date(byId.data.order.createdAt).toISOString()).toBe(byId.data.order.createdAt);
  });

  it('when Beer (stock 0) is ordered with Coffee, then it is rejected OUT_OF_STOCK with available 0 and Coffee stock is unchanged', async () => {
    const coffee = await h.stock('bar', item('Coffee').id);
    const r = await h.orders(PLACE, { input: { lines: lines(['Beer', 1], ['Coffee', 1]) } }, customer('beer-fan'));
    expect(r.data.placeOrder).toMatchObject({
      __typename: 'OrderRejected',
      reason: 'OUT_OF_STOCK',
      lines: [{ menuItemId: item('Beer').id, reason: 'OUT_OF_STOCK', available: 0 }],
    });
    expect(r.data.placeOrder.message).toMatch(/out of stock/);
    expect(await h.stock('bar', item('Coffee').id)).toBe(coffee);
    const mine = await h.orders(MY_ORDERS, {}, customer('beer-fan'));
    expect(mine.data.myOrders.edges).toEqual([]);
  });

  it('when an id is not on the menu, then that line is rejected UNKNOWN_ITEM and nothing is reserved', async () => {
    const pasta = await h.stock('kitchen', item('Pasta').id);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const r = await h.orders(PLACE, { input: { lines: [{ menuItemId: unknown, quantity: 1 }, ...lines(['Pasta', 1])] } }, customer('u1'));
    expect(r.data.placeOrder).toMatchObject({
      __typename: 'OrderRejected',
      reason: 'UNKNOWN_ITEM',
      lines: [{ menuItemId: unknown, reason: 'UNKNOWN_ITEM', available: null }],
    });
    expect(await h.stock('kitchen', item('Pasta').id)).toBe(pasta);
  });

  it('when the input is bad, then BAD_USER_INPUT and no stock moves', async () => {
    const coffee = await h.stock('bar', item('Coffee').id);
    const bad = [
      { lines: [] },
      { lines: lines(['Coffee', 0]) },
      { lines: lines(['Coffee', 51]) },
      { lines: lines(['Coffee', 30], ['Coffee', 30]) },
      { lines: Array.from({ length: 51 }, () => lines(['Coffee', 1])[0]) },
      { lines: lines(['Coffee', 1]), idempotencyKey: 'k'.repeat(201) },
    ];
    for (const input of bad) {
      const r = await h.orders(PLACE, { input }, customer('bad-input'));
      expect(codesOf(r), JSON.stringify(input).slice(0, 80)).toEqual(['BAD_USER_INPUT']);
    }
    expect(await h.stock('bar', item('Coffee').id)).toBe(coffee);
  });

  it('when an item appears on several lines, then they are merged into one line', async () => {
    const r = await h.orders(PLACE, { input: { lines: lines(['Soda', 1], ['Soda', 2]) } }, customer('merger'));
    expect(r.data.placeOrder.order.lines).toEqual([
      { quantity: 3, menuItem: { id: item('Soda').id }, unitPrice: { amount: 250 }, subtotal: { amount: 750 } },
    ]);
  });

  it('when 40 orders race for an item restocked to 10, then exactly 10 are placed and the stock ends at 0', async () => {
    const id = await h.createMenuItem(`Race cake ${engine}`, 'DESSERT', 500);
    await h.restock('bakery', id, 10);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        h.orders(PLACE, { input: { lines: [{ menuItemId: id, quantity: 1 }] } }, customer(`racer-${i % 7}`)),
      ),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
    const outcomes = results.map((r) => (r.data.placeOrder.__typename === 'OrderPlaced' ? 'OrderPlaced' : r.data.placeOrder.reason));
    expect(outcomes.sort()).toEqual([...Array(10).fill('OrderPlaced'), ...Array(30).fill('OUT_OF_STOCK')].sort());
    expect(await h.stock('bakery', id)).toBe(0);
  });

  it('when the same key is sent twice concurrently, then one order exists and stock is lowered once; another user may reuse the key', async () => {
    const wine = await h.stock('bar', item('Wine').id);
    const input = { lines: lines(['Wine', 2]), idempotencyKey: `key-${engine}` };
    const [a, b] = await Promise.all([h.orders(PLACE, { input }, customer('idem')), h.orders(PLACE, { input }, customer('idem'))]);
    expect(a.data.placeOrder.__typename).toBe('OrderPlaced');
    expect(b.data.placeOrder.__typename).toBe('OrderPlaced');
    expect(b.data.placeOrder.order.id).toBe(a.data.placeOrder.order.id);
    expect(await h.stock('bar', item('Wine').id)).toBe(wine - 2);
    const again = await h.orders(PLACE, { input }, customer('idem'));
    expect(again.data.placeOrder.order.id).toBe(a.data.placeOrder.order.id);
    expect(await h.stock('bar', item('Wine').id)).toBe(wine - 2);

    const other = await h.orders(PLACE, { input }, customer('idem-other'));
    expect(other.data.placeOrder.order.id).not.toBe(a.data.placeOrder.order.id);
    expect(await h.stock('bar', item('Wine').id)).toBe(wine - 4);
  });

  it('when a rejected order is repeated with its key, then the stored rejection comes back and nothing is reserved', async () => {
    const input = { lines: lines(['Beer', 1], ['Wine', 1]), idempotencyKey: `rej-${engine}` };
    const first = await h.orders(PLACE, { input }, customer('idem-rej'));
    expect(first.data.placeOrder.reason).toBe('OUT_OF_STOCK');
    await h.restock('bar', item('Beer').id, 5);
    const wine = await h.stock('bar', item('Wine').id);
    const second = await h.orders(PLACE, { input }, customer('idem-rej'));
    expect(second.data.placeOrder).toEqual(first.data.placeOrder);
    expect(await h.stock('bar', item('Wine').id)).toBe(wine);
  });

  it('when the owner cancels twice concurrently, then one cancel applies, both answer CANCELLED, and the stock comes back exactly once', async () => {
    const owner = customer('canceller');
    const steak = await h.stock('kitchen', item('Steak').id);
    const placed = await h.orders(PLACE, { input: { lines: lines(['Steak', 3]) } }, owner);
    const id = placed.data.placeOrder.order.id;
    expect(await h.stock('kitchen', item('Steak').id)).toBe(steak - 3);

    const someoneElse = await h.orders(`mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id }, customer('stranger'));
    expect(codesOf(someoneElse)).toEqual(['FORBIDDEN']);

    const cancel = `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`;
    const [a, b] = await Promise.all([h.orders(cancel, { id }, owner), h.orders(cancel, { id }, owner)]);
    // Cancelling is idempotent for the caller who cancelled: the second answer is the order, not an error.
    for (const r of [a, b]) expect(r.data.cancelOrder).toEqual({ id, status: 'CANCELLED' });
    expect(await h.stock('kitchen', item('Steak').id)).toBe(steak);
    expect(codesOf(await h.orders(cancel, { id }, staff()))).toEqual(['BAD_USER_INPUT']);
    expect(await h.stock('kitchen', item('Steak').id)).toBe(steak);
    expect(codesOf(await h.orders(cancel, { id: '00000000-0000-4000-8000-000000000000' }, owner))).toEqual(['NOT_FOUND']);
  });

  it('when staff advance an order, then it moves one step at a time; skipping, going back or a customer trying is refused', async () => {
    const owner = customer('advancer');
    const id = (await h.orders(PLACE, { input: { lines: lines(['Pizza', 1]) } }, owner)).data.placeOrder.order.id;
    const advance = `mutation($id: ID!, $s: OrderStatus!) { advanceOrder(id: $id, status: $s) { status } }`;
    expect(codesOf(await h.orders(advance, { id, s: 'PREPARING' }, owner))).toEqual(['FORBIDDEN']);
    expect(codesOf(await h.orders(advance, { id, s: 'READY' }, staff()))).toEqual(['BAD_USER_INPUT']);
    expect((await h.orders(advance, { id, s: 'PREPARING' }, staff())).data.advanceOrder.status).toBe('PREPARING');
    expect(codesOf(await h.orders(advance, { id, s: 'PLACED' }, staff()))).toEqual(['BAD_USER_INPUT']);
    // The owner may no longer cancel once preparation started; staff still may.
    const cancel = `mutation($id: ID!) { cancelOrder(id: $id) { status } }`;
    expect(codesOf(await h.orders(cancel, { id }, owner))).toEqual(['BAD_USER_INPUT']);
    expect((await h.orders(advance, { id, s: 'READY' }, staff())).data.advanceOrder.status).toBe('READY');
    expect((await h.orders(advance, { id, s: 'SERVED' }, staff())).data.advanceOrder.status).toBe('SERVED');
    expect(codesOf(await h.orders(advance, { id, s: 'SERVED' }, staff()))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.orders(cancel, { id }, staff()))).toEqual(['BAD_USER_INPUT']);
  });

  it('when user B probes user A’s orders by id, entity, User.orders or a forged cursor, then B gets nothing; staff sees all', async () => {
    const a = customer('bola-a');
    const b = customer('bola-b');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await h.orders(PLACE, { input: { lines: lines(['Donut', 1]) } }, a)).data.placeOrder.order.id);
    ids.reverse();
    await h.orders(PLACE, { input: { lines: lines(['Donut', 1]) } }, b);

    const page1 = await h.orders(MY_ORDERS, { first: 2 }, a);
    expect(page1.data.myOrders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(ids.slice(0, 2));
    expect(page1.data.myOrders.pageInfo.hasNextPage).toBe(true);
    const page2 = await h.orders(MY_ORDERS, { first: 2, after: page1.data.myOrders.pageInfo.endCursor }, a);
    expect(page2.data.myOrders.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(ids.slice(2));
    expect(page2.data.myOrders.pageInfo.hasNextPage).toBe(false);

    const byId = await h.orders(`query($id: ID!) { order(id: $id) { id } }`, { id: ids[0] }, b);
    expect(byId.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(byId.data.order).toBeNull();
    const entity = await h.orders(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id total { amount } } } }`,
      { r: [{ __typename: 'Order', id: ids[0] }] },
      b,
    );
    expect(entity.data._entities).toEqual([null]);
    const userOrders = await h.orders(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { edges { node { id } } } } } }`,
      { r: [{ __typename: 'User', id: 'bola-a' }] },
      b,
    );
    expect(codesOf(userOrders)).toEqual(['FORBIDDEN']);
    // A's cursor only positions B inside B's own list.
    const forged = await h.orders(MY_ORDERS, { first: 10, after: page1.data.myOrders.edges[0].cursor }, b);
    for (const edge of forged.data.myOrders.edges) expect(ids).not.toContain(edge.node.id);
    expect(codesOf(await h.orders(MY_ORDERS, { after: 'not-a-cursor!' }, b))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.orders(MY_ORDERS, { after: Buffer.from('o1:1:x').toString('base64url') }, b))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await h.orders(MY_ORDERS, { first: -1 }, b))).toEqual(['BAD_USER_INPUT']);

    const all = await h.orders(`query { orders(status: PLACED, first: 100) { edges { node { id customer { id } } } } }`, {}, staff());
    const seen = all.data.orders.edges.map((e: { node: { id: string } }) => e.node.id);
    for (const id of ids) expect(seen).toContain(id);
    expect(codesOf(await h.orders(`query { orders { edges { node { id } } } }`, {}, a))).toEqual(['FORBIDDEN']);
    const staffEntity = await h.orders(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders(first: 1) { edges { node { id } } pageInfo { hasNextPage } } } } }`,
      { r: [{ __typename: 'User', id: 'bola-a' }] },
      staff(),
    );
    expect(staffEntity.data._entities[0].orders.edges[0].node.id).toBe(ids[0]);
    expect(staffEntity.data._entities[0].orders.pageInfo.hasNextPage).toBe(true);
  });
});
