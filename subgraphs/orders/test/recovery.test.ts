/**
 * Faults cost seconds: recovery that a hung station cannot stall, an idempotency key claimed before any
 * other work, and cancels that can be repeated.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, codesOf, customer, eventually, staff, scratchFolder } from '@brigade/testing';
import { PLACE, item, lines, startBlackHole, startDelayProxy, startHarness, type Harness } from './support.js';

const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { id status } }`;

describe.each(ENGINES)('orders recovery and idempotency, on %s', (engine) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const start = async (options: Omit<Parameters<typeof startHarness>[0], 'engine'> = {}): Promise<Harness> => {
    const h = await startHarness({ engine, ...options });
    cleanup.push(() => h.stop());
    return h;
  };

  it('when the bar hangs while orders restarts with abandoned orders there and elsewhere, then the other stations get their holds back within the grace plus one interval', async () => {
    const hole = await startBlackHole();
    cleanup.push(() => hole.stop());
    // orders restarts on its own data: a folder for PGlite (a schema on PostgreSQL outlives the restart anyway).
    const dataDir = engine === 'pglite' ? await scratchFolder('orders-recovery-') : undefined;
    if (dataDir) cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const h = await start({
      dataDir,
      // Holds outlive the test: only orders' recovery gives the stock back.
      stationEnv: { RESERVATION_TTL_MS: '600000' },
      ordersOptions: { faults: { afterReserve: () => new Promise<never>(() => undefined) } },
    });
    const abandoned = 8;
    const pasta = await h.stock('kitchen', item('Pasta').id);
    const cookie = await h.stock('bakery', item('Cookie').id);
    const soda = await h.stock('bar', item('Soda').id);
    // Every other order also holds a soda at the bar; the rest are kitchen and bakery only.
    const inFlight = Array.from({ length: abandoned }, (_, i) =>
      h
        .orders(
          PLACE,
          { input: { lines: i % 2 ? lines(['Pasta', 1], ['Soda', 1]) : lines(['Pasta', 1], ['Cookie', 1]) } },
          customer(`abandoned-${i}`),
        )
        .catch(() => undefined),
    );
    // The saga asks the stations at once: each station's holds are awaited on their own.
    await eventually('the kitchen holds its pasta', async () => (await h.stock('kitchen', item('Pasta').id)) === pasta - abandoned);
    await eventually('the bar holds its sodas', async () => (await h.stock('bar', item('Soda').id)) === soda - abandoned / 2);
    await eventually('the bakery holds its cookies', async () => (await h.stock('bakery', item('Cookie').id)) === cookie - abandoned / 2);

    const graceMs = 200;
    const intervalMs = 100;
    const stationTimeoutMs = 1_000;
    // orders comes back while the bar hangs: every call to it waits out the station timeout.
    await h.restartOrders(
      {},
      {
        SUBGRAPH_BAR_URL: hole.url,
        STATION_TIMEOUT_MS: String(stationTimeoutMs),
        ORDERS_RECOVERY_GRACE_MS: String(graceMs),
        ORDERS_RECOVERY_INTERVAL_MS: String(intervalMs),
      },
    );
    const restarted = Date.now();
    await Promise.all(inFlight);
    await eventually('the kitchen has its pasta back', async () => (await h.stock('kitchen', item('Pasta').id)) === pasta);
    const kitchenMs = Date.now() - restarted;
    await eventually('the bakery has its cookies back', async () => (await h.stock('bakery', item('Cookie').id)) === cookie);
    const bakeryMs = Date.now() - restarted;
    console.log(`recovery with the bar hung (${engine}): kitchen holds back after ${kitchenMs} ms, bakery after ${bakeryMs} ms`);
    // One release per order, one after another, would take (abandoned orders at the bar) × the station
    // timeout (4 s here); isolated per station, the healthy stations' releases go out in the first pass:
    // within the grace plus one interval, with less than one station timeout of slack for a slow machine.
    expect(Math.max(kitchenMs, bakeryMs)).toBeLessThan(graceMs + intervalMs + stationTimeoutMs);
    // The bar's holds stay held (it never answered): the sweeper still owes it those releases.
    expect(await h.stock('bar', item('Soda').id)).toBe(soda - abandoned / 2);
  });

  it('when a second attempt with the same key arrives while the first is held up before its insert, then one saga runs and both answers agree', async () => {
    let lookups = 0;
    // The first lookup is slow; any other would outlast MENU_TIMEOUT_MS: an attempt that ran its own
    // lookup would answer "nothing was ordered" while the first one goes on to place the order.
    const menuProxy = await startDelayProxy(() => (++lookups === 1 ? 800 : 5_000));
    cleanup.push(() => menuProxy.stop());
    const h = await start({ menuUrlOverride: menuProxy.url, ordersEnv: { MENU_TIMEOUT_MS: '1500' } });
    menuProxy.target = h.menuUrl;
    const steak = await h.stock('kitchen', item('Steak').id);
    const owner = customer('double-clicker');
    const input = { lines: lines(['Steak', 2]), idempotencyKey: `claimed-first-${engine}` };

    const first = h.orders(PLACE, { input }, owner);
    await eventually('the first lookup reached the menu', async () => lookups >= 1);
    const second = await h.orders(PLACE, { input }, owner);
    const firstAnswer = await first;
    expect(firstAnswer.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(firstAnswer.data.placeOrder.__typename).toBe('OrderPlaced');
    expect(second.data.placeOrder).toEqual(firstAnswer.data.placeOrder);
    expect(lookups).toBe(1);
    expect(await h.stock('kitchen', item('Steak').id)).toBe(steak - 2);
  });

  it('when an attempt with a key fails because menu is down, then the key is free again: a retry places the order', async () => {
    const hole = await startBlackHole();
    cleanup.push(() => hole.stop());
    const h = await start({ menuUrlOverride: hole.url, ordersEnv: { MENU_TIMEOUT_MS: '300' } });
    const owner = customer('menu-outage');
    const input = { lines: lines(['Donut', 1]), idempotencyKey: `menu-outage-${engine}` };
    expect(codesOf(await h.orders(PLACE, { input }, owner))).toEqual(['SERVICE_UNAVAILABLE']);
    await h.restartOrders({}, { SUBGRAPH_MENU_URL: h.menuUrl });
    const retry = await h.orders(PLACE, { input }, owner);
    expect(retry.errors).toBeUndefined();
    expect(retry.data.placeOrder.__typename).toBe('OrderPlaced');
  });

  it('when a cancel is repeated by the caller who cancelled, then it answers the order CANCELLED and returns the stock once; a keyed replay answers the order as it is now', async () => {
    const h = await start();
    const owner = customer('canceller');
    const donut = await h.stock('bakery', item('Donut').id);
    const input = { lines: lines(['Donut', 3]), idempotencyKey: `cancel-me-${engine}` };
    const id = (await h.orders(PLACE, { input }, owner)).data.placeOrder.order.id;
    expect(await h.stock('bakery', item('Donut').id)).toBe(donut - 3);

    const cancelled = await h.orders(CANCEL, { id }, owner);
    expect(cancelled.data.cancelOrder).toEqual({ id, status: 'CANCELLED' });
    const again = await h.orders(CANCEL, { id }, owner);
    expect(again.errors).toBeUndefined();
    expect(again.data.cancelOrder).toEqual({ id, status: 'CANCELLED' });
    expect(await h.stock('bakery', item('Donut').id)).toBe(donut);

    // Someone else's cancel of it did not happen: they learn the order was already cancelled.
    const byStaff = await h.orders(CANCEL, { id }, staff('staff-9'));
    expect(codesOf(byStaff)).toEqual(['BAD_USER_INPUT']);

    const replay = await h.orders(PLACE, { input }, owner);
    expect(replay.data.placeOrder).toMatchObject({ __typename: 'OrderPlaced', order: { id, status: 'CANCELLED' } });
    expect(await h.stock('bakery', item('Donut').id)).toBe(donut);
  });
});
