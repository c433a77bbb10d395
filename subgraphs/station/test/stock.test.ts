import { SEED_MENU } from '@brigade/menu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, codesOf, customer, staffWithScope as staff, type TestSubgraph } from '@brigade/testing';
import { startMenu, startStation, type StationServer } from './support.js';

const seed = (name: string) => SEED_MENU.find((s) => s.name === name)!;
const RESTOCK = `mutation($id: ID!, $q: Int!) { restockDrink(id: $id, quantity: $q) { id stock available } }`;

describe('station stock', () => {
  let menu: TestSubgraph;
  let bar: StationServer;
  let kitchen: StationServer;
  beforeAll(async () => {
    menu = await startMenu('pglite');
    const env = { SUBGRAPH_MENU_URL: menu.url };
    [bar, kitchen] = await Promise.all([startStation('bar', 'pglite', env), startStation('kitchen', 'pglite', env)]);
  });
  afterAll(async () => {
    await Promise.all([bar?.stop(), kitchen?.stop(), menu?.stop()]);
  });

  describe('when the gateway resolves entities', () => {
    it('then each seeded item of this station has its stock, Beer is unavailable, unknown ids are 0', async () => {
      const res = await bar.call<{ _entities: { id: string; stock: number; available: boolean }[] }>(
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Drink { id stock available } } }`,
        { r: [seed('Coffee'), seed('Beer'), { id: 'unknown' }].map((s) => ({ __typename: 'Drink', id: s.id })) },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toEqual([
        { id: seed('Coffee').id, stock: 100, available: true },
        { id: seed('Beer').id, stock: 0, available: false },
        { id: 'unknown', stock: 0, available: false },
      ]);
      expect(await kitchen.stock('Dish', [seed('Pasta').id, seed('Steak').id])).toEqual([30, 15]);
    });
  });

  describe('when staff restock', () => {
    it('then the quantity is added to the stock', async () => {
      const beer = seed('Beer').id;
      const first = await bar.call(RESTOCK, { id: beer, q: 5 }, { viewer: staff() });
      expect(first.errors).toBeUndefined();
      expect(first.data).toEqual({ restockDrink: { id: beer, stock: 5, available: true } });
      const [second, third] = await Promise.all([
        bar.call(RESTOCK, { id: beer, q: 3 }, { viewer: staff() }),
        bar.call(RESTOCK, { id: beer, q: 2 }, { viewer: staff() }),
      ]);
      expect([second.errors, third.errors]).toEqual([undefined, undefined]);
      expect(await bar.stock('Drink', [beer])).toEqual([10]);
    });

    it('then a newly created menu item starts at 0 and can be restocked', async () => {
      const created = await menu.call<{ createMenuItem: { id: string } }>(
        `mutation { createMenuItem(input: { name: "Cider", price: 500, category: DRINK }) { id } }`,
        {},
        { viewer: admin() },
      );
      const id = created.data!.createMenuItem.id;
      expect(await bar.stock('Drink', [id])).toEqual([0]);
      const res = await bar.call(RESTOCK, { id, q: 12 }, { viewer: staff() });
      expect(res.data).toEqual({ restockDrink: { id, stock: 12, available: true } });
    });

    it.each([0, -1, 10_001])('then quantity %i is BAD_USER_INPUT and nothing changes', async (q) => {
      const coffee = seed('Coffee').id;
      const [before] = await bar.stock('Drink', [coffee]);
      const res = await bar.call(RESTOCK, { id: coffee, q }, { viewer: staff() });
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions!.field).toBe('quantity');
      expect(await bar.stock('Drink', [coffee])).toEqual([before]);
    });

    it("then another station's item or an unknown id is NOT_FOUND and no stock row appears", async () => {
      const pasta = seed('Pasta').id;
      const wrong = await bar.call(RESTOCK, { id: pasta, q: 5 }, { viewer: staff() });
      expect(codesOf(wrong)).toEqual(['NOT_FOUND']);
      expect(await bar.stock('Drink', [pasta])).toEqual([0]);
      const unknown = await bar.call(RESTOCK, { id: 'no-such-item', q: 5 }, { viewer: staff() });
      expect(codesOf(unknown)).toEqual(['NOT_FOUND']);
      const dish = await kitchen.call(
        `mutation($id: ID!) { restockDish(id: $id, quantity: 1) { stock } }`,
        { id: pasta },
        { viewer: staff() },
      );
      expect(dish.data).toEqual({ restockDish: { stock: 31 } });
    });

    it('then a caller without stock:write is FORBIDDEN, and an anonymous one UNAUTHENTICATED', async () => {
      const coffee = seed('Coffee').id;
      const [before] = await bar.stock('Drink', [coffee]);
      expect(codesOf(await bar.call(RESTOCK, { id: coffee, q: 5 }, { viewer: customer() }))).toEqual(['FORBIDDEN']);
      expect(codesOf(await bar.call(RESTOCK, { id: coffee, q: 5 }, { viewer: staff('orders:manage') }))).toEqual(['FORBIDDEN']);
      expect(codesOf(await bar.call(RESTOCK, { id: coffee, q: 5 }))).toEqual(['UNAUTHENTICATED']);
      expect(await bar.stock('Drink', [coffee])).toEqual([before]);
    });
  });

  describe('when the menu cannot be reached', () => {
    it('then restock is SERVICE_UNAVAILABLE and nothing changes', async () => {
      const lonely = await startStation('bar', 'pglite', { SUBGRAPH_MENU_URL: 'http://127.0.0.1:1/graphql' });
      try {
        const coffee = seed('Coffee').id;
        const res = await lonely.call(RESTOCK, { id: coffee, q: 5 }, { viewer: staff() });
        expect(codesOf(res)).toEqual(['SERVICE_UNAVAILABLE']);
        expect(await lonely.stock('Drink', [coffee])).toEqual([100]);
      } finally {
        await lonely.stop();
      }
    });
  });
});
