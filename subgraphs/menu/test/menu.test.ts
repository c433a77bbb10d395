import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, admin, codesOf, customer, postGraphQL, startSubgraph, type TestSubgraph } from '@brigade/testing';
import * as subgraph from '../src/subgraph.js';
import { SEED_MENU } from '../src/data/seed.js';

const ITEM = `id name description price { amount currency } category station __typename`;

describe.each(ENGINES)('menu subgraph on %s', (engine) => {
  let menu: TestSubgraph;
  beforeAll(async () => {
    menu = await startSubgraph(subgraph, { engine });
  });
  afterAll(() => menu?.stop());

  describe('when reading the seeded menu', () => {
    it('then it lists the 12 seeded items, drinks first, each category by name', async () => {
      const res = await menu.call<{ menu: { id: string; name: string; category: string; __typename: string }[] }>(`{ menu { ${ITEM} } }`);
      expect(res.errors).toBeUndefined();
      const seededIds = new Set(SEED_MENU.map((s) => s.id));
      const seeded = res.data!.menu.filter((i) => seededIds.has(i.id));
      expect(seeded.map((i) => i.name)).toEqual([
        'Beer',
        'Coffee',
        'Soda',
        'Wine',
        'Grilled Fish',
        'Pasta',
        'Pizza',
        'Steak',
        'Brownie',
        'Cookie',
        'Donut',
        'Gelato',
      ]);
      const coffee = res.data!.menu.find((i) => i.name === 'Coffee');
      expect(coffee).toEqual({
        id: 'b0ca1b98-2100-4ffc-8f7e-08941e623628',
        name: 'Coffee',
        description: 'Espresso, freshly pulled.',
        price: { amount: 300, currency: 'USD' },
        category: 'DRINK',
        station: 'BAR',
        __typename: 'Drink',
      });
    });

    it('then a category filter returns only that category, typed accordingly', async () => {
      const res = await menu.call<{ menu: { category: string; station: string; __typename: string }[] }>(
        `{ menu(category: DESSERT) { ${ITEM} } }`,
      );
      expect(res.data!.menu.length).toBeGreaterThanOrEqual(4);
      for (const item of res.data!.menu) {
        expect(item).toMatchObject({ category: 'DESSERT', station: 'BAKERY', __typename: 'Pastry' });
      }
    });

    it('then menuItem finds an item by id and answers null for an unknown id', async () => {
      const steak = SEED_MENU.find((s) => s.name === 'Steak')!;
      const res = await menu.call<{ a: { name: string; __typename: string }; b: null }>(
        `query($id: ID!) { a: menuItem(id: $id) { name __typename } b: menuItem(id: "no-such-item") { name } }`,
        { id: steak.id },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ a: { name: 'Steak', __typename: 'Dish' }, b: null });
    });
  });

  describe('when an admin creates and updates items', () => {
    it('then a created item is stored trimmed and can be read back and updated', async () => {
      const created = await menu.call<{
        createMenuItem: { id: string; name: string; description: string | null; price: { amount: number }; __typename: string };
      }>(
        `mutation($input: CreateMenuItemInput!) { createMenuItem(input: $input) { ${ITEM} } }`,
        { input: { name: '  Lemonade  ', description: 'Fresh', price: 350, category: 'DRINK' } },
        { viewer: admin() },
      );
      expect(created.errors).toBeUndefined();
      const item = created.data!.createMenuItem;
      expect(item).toMatchObject({ name: 'Lemonade', description: 'Fresh', price: { amount: 350 }, __typename: 'Drink' });

      const updated = await menu.call<{ updateMenuItem: { name: string; description: string | null; price: { amount: number } } }>(
        `mutation($id: ID!, $input: UpdateMenuItemInput!) { updateMenuItem(id: $id, input: $input) { ${ITEM} } }`,
        { id: item.id, input: { price: 400, description: null } },
        { viewer: admin() },
      );
      expect(updated.errors).toBeUndefined();
      expect(updated.data!.updateMenuItem).toMatchObject({ name: 'Lemonade', description: null, price: { amount: 400 } });

      const read = await menu.call<{ menuItem: { price: { amount: number } } }>(
        `query($id: ID!) { menuItem(id: $id) { price { amount } } }`,
        { id: item.id },
      );
      expect(read.data!.menuItem.price.amount).toBe(400);
    });

    it.each([
      [{ name: '   ', price: 100, category: 'MEAL' }, 'name'],
      [{ name: 'x'.repeat(101), price: 100, category: 'MEAL' }, 'name'],
      [{ name: 'Soup', description: 'd'.repeat(501), price: 100, category: 'MEAL' }, 'description'],
      [{ name: 'Soup', price: 0, category: 'MEAL' }, 'price'],
      [{ name: 'Soup', price: 1_000_001, category: 'MEAL' }, 'price'],
    ])('then invalid input %j is refused with BAD_USER_INPUT on %s', async (input, field) => {
      const res = await menu.call(
        `mutation($input: CreateMenuItemInput!) { createMenuItem(input: $input) { id } }`,
        { input },
        { viewer: admin() },
      );
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions!.field).toBe(field);
    });

    it('then updating with an invalid field or an unknown id is refused', async () => {
      const bad = await menu.call(
        `mutation { updateMenuItem(id: "${SEED_MENU[0]!.id}", input: { price: -5 }) { id } }`,
        {},
        { viewer: admin() },
      );
      expect(codesOf(bad)).toEqual(['BAD_USER_INPUT']);
      expect(bad.errors![0]!.extensions!.field).toBe('price');
      const nulled = await menu.call(
        `mutation { updateMenuItem(id: "${SEED_MENU[0]!.id}", input: { name: null }) { id } }`,
        {},
        { viewer: admin() },
      );
      expect(codesOf(nulled)).toEqual(['BAD_USER_INPUT']);
      const missing = await menu.call(
        `mutation { updateMenuItem(id: "no-such-item", input: { price: 100 }) { id } }`,
        {},
        { viewer: admin() },
      );
      expect(codesOf(missing)).toEqual(['NOT_FOUND']);
      const coffee = await menu.call<{ menuItem: { price: { amount: number } } }>(
        `{ menuItem(id: "${SEED_MENU[0]!.id}") { price { amount } } }`,
      );
      expect(coffee.data!.menuItem.price.amount).toBe(SEED_MENU[0]!.price);
    });
  });

  describe('when the caller is not allowed', () => {
    const create = `mutation { createMenuItem(input: { name: "Sneaky", price: 100, category: MEAL }) { id } }`;

    it('then a customer without menu:write is FORBIDDEN and nothing is created', async () => {
      const res = await menu.call(create, {}, { viewer: customer() });
      expect(codesOf(res)).toEqual(['FORBIDDEN']);
      const anonymous = await menu.call(create);
      expect(codesOf(anonymous)).toEqual(['UNAUTHENTICATED']);
      const list = await menu.call<{ menu: { name: string }[] }>(`{ menu { name } }`);
      expect(list.data!.menu.map((i) => i.name)).not.toContain('Sneaky');
    });

    it('then a request without a credential is refused with 401', async () => {
      const res = await menu.call(`{ menu { id } }`, {}, { anonymousHttp: true });
      expect(res.status).toBe(401);
      expect(codesOf(res)).toEqual(['UNAUTHENTICATED']);
      const forged = await postGraphQL(menu.url, 'not-a-jwt', `{ menu { id } }`);
      expect(forged.status).toBe(401);
    });

    it('then a credential minted for another audience is refused with 401', async () => {
      const res = await menu.call(`{ menu { id } }`, {}, { audience: 'bar' });
      expect(res.status).toBe(401);
      expect(codesOf(res)).toEqual(['UNAUTHENTICATED']);
    });

    it('then a credential from a service menu does not accept (auth) is refused with 401', async () => {
      const res = await menu.call(`{ menu { id } }`, {}, { issuer: 'auth' });
      expect(res.status).toBe(401);
    });
  });

  describe('when resolving entities', () => {
    const [coffee, pasta, cookie] = ['Coffee', 'Pasta', 'Cookie'].map((n) => SEED_MENU.find((s) => s.name === n)!);
    const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on MenuItem { id name price { amount } } } }`;

    it('then interface and concrete references resolve, and mismatched or unknown ones are null', async () => {
      const res = await menu.call<{ _entities: ({ __typename: string; name: string } | null)[] }>(ENTITIES, {
        r: [
          { __typename: 'MenuItem', id: coffee!.id },
          { __typename: 'Dish', id: pasta!.id },
          { __typename: 'Pastry', id: cookie!.id },
          { __typename: 'Drink', id: pasta!.id },
          { __typename: 'MenuItem', id: 'no-such-item' },
        ],
      });
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toEqual([
        { __typename: 'Drink', id: coffee!.id, name: 'Coffee', price: { amount: coffee!.price } },
        { __typename: 'Dish', id: pasta!.id, name: 'Pasta', price: { amount: pasta!.price } },
        { __typename: 'Pastry', id: cookie!.id, name: 'Cookie', price: { amount: cookie!.price } },
        null,
        null,
      ]);
    });

    it('then menuItemsByIds answers in the order asked, null for unknown ids, only to services', async () => {
      const query = `query($ids: [ID!]!) { menuItemsByIds(ids: $ids) { id name } }`;
      const ids = [cookie!.id, 'nope', coffee!.id, cookie!.id];
      const res = await menu.call<{ menuItemsByIds: ({ name: string } | null)[] }>(query, { ids }, { issuer: 'orders' });
      expect(res.errors).toBeUndefined();
      expect(res.data!.menuItemsByIds.map((i) => i?.name ?? null)).toEqual(['Cookie', null, 'Coffee', 'Cookie']);

      const tooMany = await menu.call(query, { ids: Array.from({ length: 101 }, (_, i) => `id-${i}`) }, { issuer: 'orders' });
      expect(codesOf(tooMany)).toEqual(['BAD_USER_INPUT']);
      const viaGateway = await menu.call(query, { ids }, { issuer: 'gateway', viewer: admin() });
      expect(codesOf(viaGateway)).toEqual(['FORBIDDEN']);
    });
  });
});

describe('menu restarts', () => {
  it('then a database that already holds the seed is not seeded again', async () => {
    const { openDatabase, migrate } = await import('@brigade/platform');
    const { MenuRepository } = await import('../src/data/menuRepository.js');
    const db = await openDatabase({ schema: 'menu' });
    try {
      await migrate(db, new URL('../migrations/', import.meta.url));
      const repository = new MenuRepository(db);
      expect(await repository.seedOnce(SEED_MENU)).toBe(true);
      await db.query('DELETE FROM menu_items WHERE id = $1', [SEED_MENU[0]!.id]);
      expect(await repository.seedOnce(SEED_MENU)).toBe(false);
      expect((await repository.list()).length).toBe(SEED_MENU.length - 1);
    } finally {
      await db.close();
    }
  });
});
