import { randomUUID } from 'node:crypto';
import { SEED_MENU } from '@brigade/menu';
import { userViewer } from '@brigade/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, codesOf } from '@brigade/testing';
import { startStation, type StationServer } from './support.js';

const seed = (name: string) => SEED_MENU.find((s) => s.name === name)!;
const [coffee, soda, wine, beer] = ['Coffee', 'Soda', 'Wine', 'Beer'].map(seed) as [
  (typeof SEED_MENU)[number],
  (typeof SEED_MENU)[number],
  (typeof SEED_MENU)[number],
  (typeof SEED_MENU)[number],
];
const order = () => `order-${randomUUID()}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(ENGINES)('station reservations on %s', (engine) => {
  let bar: StationServer;
  beforeAll(async () => {
    bar = await startStation('bar', engine);
  });
  afterAll(() => bar?.stop());

  const stockOf = async (...ids: string[]) => bar.stock('Drink', ids);

  describe('when an order is reserved, confirmed and released', () => {
    it('then stock goes down once, and comes back on release', async () => {
      const id = order();
      const [before] = await stockOf(coffee.id);
      const held = await bar.reserve(id, [
        { menuItemId: coffee.id, quantity: 2 },
        { menuItemId: coffee.id, quantity: 1 },
      ]);
      expect(held.errors).toBeUndefined();
      expect(held.data!.reserveStock).toEqual({
        orderId: id,
        status: 'HELD',
        lines: [{ menuItemId: coffee.id, quantity: 3, available: before! - 3 }],
      });
      expect(await stockOf(coffee.id)).toEqual([before! - 3]);

      const confirmed = await bar.confirm(id);
      expect(confirmed.data!.confirmReservation.status).toBe('CONFIRMED');
      expect((await bar.confirm(id)).data!.confirmReservation.status).toBe('CONFIRMED');
      expect(await stockOf(coffee.id)).toEqual([before! - 3]);

      const released = await bar.release(id);
      expect(released.data!.releaseReservation.status).toBe('RELEASED');
      expect(await stockOf(coffee.id)).toEqual([before]);
      expect((await bar.release(id)).data!.releaseReservation.status).toBe('RELEASED');
      expect((await bar.confirm(id)).data!.confirmReservation.status).toBe('RELEASED');
      expect(await stockOf(coffee.id)).toEqual([before]);
    });
  });

  describe('when the stock is short', () => {
    it('then the reservation is REFUSED with what is available, and nothing changes', async () => {
      const [wineBefore] = await stockOf(wine.id);
      const res = await bar.reserve(order(), [{ menuItemId: wine.id, quantity: wineBefore! + 1 }]);
      expect(res.data!.reserveStock.status).toBe('REFUSED');
      expect(res.data!.reserveStock.lines).toEqual([{ menuItemId: wine.id, quantity: wineBefore! + 1, available: wineBefore }]);
      expect(await stockOf(wine.id)).toEqual([wineBefore]);
    });

    it('then one short line of two refuses both and the other keeps its stock', async () => {
      const [coffeeBefore] = await stockOf(coffee.id);
      const id = order();
      const res = await bar.reserve(id, [
        { menuItemId: coffee.id, quantity: 1 },
        { menuItemId: beer.id, quantity: 1 },
      ]);
      expect(res.data!.reserveStock).toEqual({
        orderId: id,
        status: 'REFUSED',
        lines: [
          { menuItemId: coffee.id, quantity: 1, available: coffeeBefore },
          { menuItemId: beer.id, quantity: 1, available: 0 },
        ].sort((a, b) => (a.menuItemId < b.menuItemId ? -1 : 1)),
      });
      expect(await stockOf(coffee.id, beer.id)).toEqual([coffeeBefore, 0]);
      // A refusal is not recorded: the same order may try again once stock allows.
      const retry = await bar.reserve(id, [{ menuItemId: coffee.id, quantity: 1 }]);
      expect(retry.data!.reserveStock.status).toBe('HELD');
      await bar.release(id);
    });

    it('then an id this station does not stock is refused with 0 available', async () => {
      const [sodaBefore] = await stockOf(soda.id);
      const res = await bar.reserve(order(), [
        { menuItemId: soda.id, quantity: 1 },
        { menuItemId: 'not-a-drink', quantity: 1 },
      ]);
      expect(res.data!.reserveStock.status).toBe('REFUSED');
      expect(res.data!.reserveStock.lines.find((l) => l.menuItemId === 'not-a-drink')!.available).toBe(0);
      expect(await stockOf(soda.id)).toEqual([sodaBefore]);
    });
  });

  describe('when the same order is reserved more than once', () => {
    it('then it is granted once, sequentially and concurrently', async () => {
      const [before] = await stockOf(coffee.id);
      const id = order();
      const first = await bar.reserve(id, [{ menuItemId: coffee.id, quantity: 4 }]);
      const again = await bar.reserve(id, [{ menuItemId: coffee.id, quantity: 9 }]);
      expect(first.data!.reserveStock.status).toBe('HELD');
      expect(again.data!.reserveStock).toMatchObject({ status: 'HELD', lines: [{ menuItemId: coffee.id, quantity: 4 }] });
      expect(await stockOf(coffee.id)).toEqual([before! - 4]);

      const racing = order();
      const results = await Promise.all(Array.from({ length: 8 }, () => bar.reserve(racing, [{ menuItemId: coffee.id, quantity: 2 }])));
      expect(results.map((r) => r.data!.reserveStock.status)).toEqual(Array(8).fill('HELD'));
      expect(await stockOf(coffee.id)).toEqual([before! - 6]);
      await Promise.all([bar.release(id), bar.release(racing)]);
      expect(await stockOf(coffee.id)).toEqual([before]);
    });
  });

  describe('when an order is released concurrently', () => {
    it('then its stock comes back exactly once', async () => {
      const [before] = await stockOf(soda.id);
      const id = order();
      await bar.reserve(id, [{ menuItemId: soda.id, quantity: 5 }]);
      const results = await Promise.all(Array.from({ length: 6 }, () => bar.release(id)));
      expect(results.map((r) => r.data!.releaseReservation.status)).toEqual(Array(6).fill('RELEASED'));
      expect(await stockOf(soda.id)).toEqual([before]);
    });
  });

  describe('when a release arrives before its reservation', () => {
    it('then the late reservation is refused and takes no stock', async () => {
      const [before] = await stockOf(coffee.id);
      const id = order();
      expect((await bar.release(id)).data!.releaseReservation).toEqual({ orderId: id, status: 'RELEASED', lines: [] });
      const late = await bar.reserve(id, [{ menuItemId: coffee.id, quantity: 1 }]);
      expect(late.data!.reserveStock.status).toBe('RELEASED');
      expect(await stockOf(coffee.id)).toEqual([before]);
    });

    it('then confirming an unknown order answers RELEASED', async () => {
      expect((await bar.confirm(order())).data!.confirmReservation.status).toBe('RELEASED');
    });
  });

  describe('when 50 orders race for the last 10 units', () => {
    it('then exactly 10 are HELD and the stock ends at 0', async () => {
      const [before] = await stockOf(wine.id);
      const setAside = order();
      expect((await bar.reserve(setAside, [{ menuItemId: wine.id, quantity: before! - 10 }])).data!.reserveStock.status).toBe('HELD');
      expect(await stockOf(wine.id)).toEqual([10]);

      const results = await Promise.all(Array.from({ length: 50 }, () => bar.reserve(order(), [{ menuItemId: wine.id, quantity: 1 }])));
      const statuses = results.map((r) => r.data!.reserveStock.status);
      expect(statuses.filter((s) => s === 'HELD')).toHaveLength(10);
      expect(statuses.filter((s) => s === 'REFUSED')).toHaveLength(40);
      expect(await stockOf(wine.id)).toEqual([0]);

      await Promise.all(
        [setAside, ...results.filter((r) => r.data!.reserveStock.status === 'HELD').map((r) => r.data!.reserveStock.orderId)].map((id) =>
          bar.release(id),
        ),
      );
      expect(await stockOf(wine.id)).toEqual([before]);
    });
  });

  describe('when the caller is not the orders service', () => {
    it('then every reservation operation is FORBIDDEN and nothing changes', async () => {
      const [before] = await stockOf(coffee.id);
      const asGateway = { issuer: 'gateway' as const, viewer: userViewer('admin', 'orders:manage stock:write menu:write', ['ADMIN']) };
      const id = order();
      expect(codesOf(await bar.reserve(id, [{ menuItemId: coffee.id, quantity: 1 }], asGateway))).toEqual(['FORBIDDEN']);
      expect(codesOf(await bar.confirm(id, asGateway))).toEqual(['FORBIDDEN']);
      expect(codesOf(await bar.release(id, asGateway))).toEqual(['FORBIDDEN']);
      expect(await stockOf(coffee.id)).toEqual([before]);
      // Nothing was recorded either: the real saga can still reserve this order.
      expect((await bar.reserve(id, [{ menuItemId: coffee.id, quantity: 1 }])).data!.reserveStock.status).toBe('HELD');
      await bar.release(id);
    });

    it('then a credential from a service the station does not accept is refused with 401', async () => {
      const res = await bar.reserve(order(), [{ menuItemId: coffee.id, quantity: 1 }], { issuer: 'menu' });
      expect(res.status).toBe(401);
    });
  });

  describe('when the request is malformed', () => {
    it.each([
      ['no lines', [], 'lines'],
      ['51 lines', Array.from({ length: 51 }, (_, i) => ({ menuItemId: `id-${i}`, quantity: 1 })), 'lines'],
      ['quantity 0', [{ menuItemId: 'b0ca1b98-2100-4ffc-8f7e-08941e623628', quantity: 0 }], 'quantity'],
      ['quantity 51', [{ menuItemId: 'b0ca1b98-2100-4ffc-8f7e-08941e623628', quantity: 51 }], 'quantity'],
      ['an empty id', [{ menuItemId: ' ', quantity: 1 }], 'menuItemId'],
    ])('then %s is BAD_USER_INPUT', async (_what, lines, field) => {
      const res = await bar.reserve(order(), lines);
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.extensions!.field).toBe(field);
    });
  });
});

describe.each(ENGINES)('station reservation expiry on %s', (engine) => {
  describe('when a held reservation is never confirmed', () => {
    let bar: StationServer;
    beforeAll(async () => {
      bar = await startStation('bar', engine, { RESERVATION_TTL_MS: '300', RESERVATION_SWEEP_MS: '50' });
    });
    afterAll(() => bar?.stop());

    it('then the sweeper gives its stock back once, and a late confirm answers RELEASED', async () => {
      const [before] = await bar.stock('Drink', [coffee.id]);
      const id = order();
      expect((await bar.reserve(id, [{ menuItemId: coffee.id, quantity: 7 }])).data!.reserveStock.status).toBe('HELD');
      let now = (await bar.stock('Drink', [coffee.id]))[0];
      for (let i = 0; i < 200 && now !== before; i++) {
        await sleep(50);
        now = (await bar.stock('Drink', [coffee.id]))[0];
      }
      expect(now).toBe(before);
      expect((await bar.confirm(id)).data!.confirmReservation.status).toBe('RELEASED');
      expect((await bar.release(id)).data!.releaseReservation.status).toBe('RELEASED');
      expect(await bar.stock('Drink', [coffee.id])).toEqual([before]);
    });
  });

  describe('when a confirmation arrives after expiry but before the sweeper', () => {
    let bar: StationServer;
    beforeAll(async () => {
      bar = await startStation('bar', engine, { RESERVATION_TTL_MS: '200', RESERVATION_SWEEP_MS: '600000' });
    });
    afterAll(() => bar?.stop());

    it('then the confirmation releases it instead', async () => {
      const [before] = await bar.stock('Drink', [soda.id]);
      const id = order();
      await bar.reserve(id, [{ menuItemId: soda.id, quantity: 3 }]);
      expect(await bar.stock('Drink', [soda.id])).toEqual([before! - 3]);
      await sleep(400);
      expect((await bar.confirm(id)).data!.confirmReservation.status).toBe('RELEASED');
      expect(await bar.stock('Drink', [soda.id])).toEqual([before]);
    });

    it('then the next reserve sweeps expired reservations first', async () => {
      const [before] = await bar.stock('Drink', [wine.id]);
      const id = order();
      await bar.reserve(id, [{ menuItemId: wine.id, quantity: before! }]);
      expect(await bar.stock('Drink', [wine.id])).toEqual([0]);
      await sleep(400);
      const next = await bar.reserve(order(), [{ menuItemId: wine.id, quantity: 1 }]);
      expect(next.data!.reserveStock).toMatchObject({ status: 'HELD', lines: [{ available: before! - 1 }] });
    });
  });
});
