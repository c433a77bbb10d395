import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, codesOf, customer, eventually, scratchFolder } from '@brigade/testing';
import { PLACE, item, lines, startBlackHole, startDelayProxy, startHarness, type Harness } from './support.js';

const MY_ORDERS = `query { myOrders { edges { node { id status } } } }`;

describe.each(ENGINES)('orders when things fail, on %s', (engine) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const start = async (options: Omit<Parameters<typeof startHarness>[0], 'engine'> = {}): Promise<Harness> => {
    const h = await startHarness({ engine, ...options });
    cleanup.push(() => h.stop());
    return h;
  };

  it('when the bar is down, then a drink order is STATION_UNAVAILABLE and holds nothing; food still sells; drinks sell again once the bar is back', async () => {
    const h = await start();
    const pasta = await h.stock('kitchen', item('Pasta').id);
    const cookie = await h.stock('bakery', item('Cookie').id);
    await h.stopStation('bar');
    const r = await h.orders(PLACE, { input: { lines: lines(['Coffee', 2], ['Pasta', 1], ['Cookie', 1]) } }, customer('thirsty'));
    expect(r.data.placeOrder).toMatchObject({
      __typename: 'OrderRejected',
      reason: 'STATION_UNAVAILABLE',
      lines: [{ menuItemId: item('Coffee').id, reason: 'STATION_UNAVAILABLE', available: null }],
    });
    expect(await h.stock('kitchen', item('Pasta').id)).toBe(pasta);
    expect(await h.stock('bakery', item('Cookie').id)).toBe(cookie);
    expect((await h.orders(MY_ORDERS, {}, customer('thirsty'))).data.myOrders.edges).toEqual([]);

    const food = await h.orders(PLACE, { input: { lines: lines(['Pasta', 1], ['Cookie', 1]) } }, customer('hungry'));
    expect(food.data.placeOrder.__typename).toBe('OrderPlaced');

    await h.startStation('bar');
    const coffee = await h.stock('bar', item('Coffee').id);
    const drinks = await h.orders(PLACE, { input: { lines: lines(['Coffee', 2]) } }, customer('thirsty'));
    expect(drinks.data.placeOrder.__typename).toBe('OrderPlaced');
    expect(await h.stock('bar', item('Coffee').id)).toBe(coffee - 2);
  });

  it('when the bar hangs, then the order is STATION_UNAVAILABLE after the station timeout and the kitchen gets its stock back', async () => {
    const hole = await startBlackHole();
    cleanup.push(() => hole.stop());
    const h = await start({ stationUrlOverrides: { bar: hole.url }, ordersEnv: { STATION_TIMEOUT_MS: '300' } });
    const pasta = await h.stock('kitchen', item('Pasta').id);
    const r = await h.orders(PLACE, { input: { lines: lines(['Wine', 1], ['Pasta', 2]) } }, customer('patient'));
    expect(r.data.placeOrder).toMatchObject({ __typename: 'OrderRejected', reason: 'STATION_UNAVAILABLE' });
    expect(r.data.placeOrder.lines).toEqual([{ menuItemId: item('Wine').id, reason: 'STATION_UNAVAILABLE', available: null }]);
    expect(await h.stock('kitchen', item('Pasta').id)).toBe(pasta);
  });

  it('when the menu is down, then placeOrder fails SERVICE_UNAVAILABLE and nothing is recorded', async () => {
    const hole = await startBlackHole();
    cleanup.push(() => hole.stop());
    const h = await start({ menuUrlOverride: hole.url, ordersEnv: { MENU_TIMEOUT_MS: '300' } });
    const r = await h.orders(PLACE, { input: { lines: lines(['Pasta', 1]) } }, customer('menu-less'));
    expect(codesOf(r)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(r.data).toBeNull();
  });

  it('when the menu and the bar are each slow but within their timeouts and together overrun ORDERS_DEADLINE_MS, then the order is rejected STATION_UNAVAILABLE before the gateway would give up, is never placed, and holds nothing', async () => {
    // The deadline leaves the holds ~2 s after the slow menu, so a loaded machine still reaches the
    // confirmations before it runs out: the overrun must come from them.
    const menuDelay = 900;
    const confirmDelay = 6_000;
    const deadline = 3_000;
    const menuProxy = await startDelayProxy(() => menuDelay);
    // Only confirmations are slow: the holds are granted, so the deadline has stock to give back.
    const barProxy = await startDelayProxy((body) => (body.includes('confirmReservation') ? confirmDelay : 0));
    cleanup.push(
      () => menuProxy.stop(),
      () => barProxy.stop(),
    );
    const h = await start({
      menuUrlOverride: menuProxy.url,
      stationUrlOverrides: { bar: barProxy.url },
      ordersEnv: { ORDERS_DEADLINE_MS: String(deadline), MENU_TIMEOUT_MS: '10000', STATION_TIMEOUT_MS: '10000' },
    });
    menuProxy.target = h.menuUrl;
    barProxy.target = h.stationUrl('bar');
    const wine = await h.stock('bar', item('Wine').id);
    const pasta = await h.stock('kitchen', item('Pasta').id);
    const owner = customer('overrun');
    const input = { lines: lines(['Wine', 1], ['Pasta', 2]), idempotencyKey: `overrun-${engine}` };

    const started = Date.now();
    const r = await h.orders(PLACE, { input }, owner);
    const elapsed = Date.now() - started;
    expect(r.data?.placeOrder, JSON.stringify(r.errors)).toMatchObject({ __typename: 'OrderRejected', reason: 'STATION_UNAVAILABLE' });
    // Without the deadline the saga would wait out the slow confirmation (menu + confirm delays) and place
    // the order; the bound is the deadline plus generous slack, far below that.
    expect(elapsed).toBeLessThan(menuDelay + confirmDelay);
    expect(elapsed).toBeLessThan(deadline + 2_000);

    // The late confirmation still reaches the bar; the release must win over it either way.
    await barProxy.settled();
    await eventually('the bar has its wine back', async () => (await h.stock('bar', item('Wine').id)) === wine);
    await eventually('the kitchen has its pasta back', async () => (await h.stock('kitchen', item('Pasta').id)) === pasta);
    expect((await h.orders(MY_ORDERS, {}, owner)).data.myOrders.edges).toEqual([]);
    const replay = await h.orders(PLACE, { input }, owner);
    expect(replay.data.placeOrder).toMatchObject({ __typename: 'OrderRejected', reason: 'STATION_UNAVAILABLE' });
  });

  it('when the saga finishes its confirmations only after the deadline, then it withdraws the order instead of placing it, and a keyed replay meanwhile gets CONFLICT', async () => {
    let resume!: () => void;
    const stalled = new Promise<void>((resolve) => (resume = resolve));
    let granted!: () => void;
    const holdsGranted = new Promise<void>((resolve) => (granted = resolve));
    const h = await start({
      // Room for the holds to be granted within the deadline on a loaded machine; the stall then outlives it.
      ordersEnv: { ORDERS_DEADLINE_MS: '2000' },
      ordersOptions: {
        faults: {
          afterReserve: () => {
            granted();
            return stalled;
          },
        },
      },
    });
    const steak = await h.stock('kitchen', item('Steak').id);
    const soda = await h.stock('bar', item('Soda').id);
    const owner = customer('late');
    const input = { lines: lines(['Steak', 1], ['Soda', 1]), idempotencyKey: `late-${engine}` };
    const first = h.orders(PLACE, { input }, owner);
    await Promise.race([
      holdsGranted,
      first.then((r) => Promise.reject(new Error(`answered before its holds were granted: ${JSON.stringify(r)}`))),
    ]);
    // The replay waits for the first request only until its own deadline, which ends after the first's.
    const replay = await h.orders(PLACE, { input }, owner);
    expect(codesOf(replay)).toEqual(['CONFLICT']);
    resume();
    expect((await first).data.placeOrder).toMatchObject({ __typename: 'OrderRejected', reason: 'STATION_UNAVAILABLE' });
    await eventually('the kitchen has its steak back', async () => (await h.stock('kitchen', item('Steak').id)) === steak);
    await eventually('the bar has its soda back', async () => (await h.stock('bar', item('Soda').id)) === soda);
    expect((await h.orders(MY_ORDERS, {}, owner)).data.myOrders.edges).toEqual([]);
  });

  it('when a hold expires before the confirmation, then the order is rejected and every station gets its stock back', async () => {
    let h!: Harness;
    h = await start({
      stationEnv: { RESERVATION_TTL_MS: '1', RESERVATION_SWEEP_MS: '10' },
      ordersOptions: {
        faults: {
          // Stall until the bar's sweeper has expired the hold (its stock is back), then let the saga confirm.
          afterReserve: () => eventually('the bar hold expired', async () => (await h.stock('bar', item('Soda').id)) === soda),
        },
      },
    });
    const soda = await h.stock('bar', item('Soda').id);
    const pizza = await h.stock('kitchen', item('Pizza').id);
    const r = await h.orders(PLACE, { input: { lines: lines(['Soda', 1], ['Pizza', 1]) } }, customer('slowpoke'));
    expect(r.data.placeOrder).toMatchObject({ __typename: 'OrderRejected', reason: 'STATION_UNAVAILABLE' });
    expect(await h.stock('bar', item('Soda').id)).toBe(soda);
    expect(await h.stock('kitchen', item('Pizza').id)).toBe(pizza);
  });

  it('when orders dies right after every hold was granted, then after a restart the abandoned order is compensated and no stock stays held', async () => {
    const dataDir = engine === 'pglite' ? await scratchFolder('orders-crash-') : undefined;
    if (dataDir) cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const h = await start({
      dataDir,
      // Holds outlive the test, so only orders' recovery can give the stock back.
      stationEnv: { RESERVATION_TTL_MS: '600000' },
      ordersOptions: { faults: { afterReserve: () => new Promise<never>(() => undefined) } },
    });
    const steak = await h.stock('kitchen', item('Steak').id);
    const gelato = await h.stock('bakery', item('Gelato').id);
    const inFlight = h.orders(PLACE, { input: { lines: lines(['Steak', 2], ['Gelato', 1]) } }, customer('crashed')).catch(() => undefined);
    // The saga asks the stations at once: the kitchen's hold says nothing of the bakery's.
    await eventually('the kitchen hold is granted', async () => (await h.stock('kitchen', item('Steak').id)) === steak - 2);
    await eventually('the bakery hold is granted', async () => (await h.stock('bakery', item('Gelato').id)) === gelato - 1);

    await h.restartOrders({}, { ORDERS_RECOVERY_GRACE_MS: '200', ORDERS_RECOVERY_INTERVAL_MS: '100' });
    await inFlight;
    await eventually('the kitchen hold is released', async () => (await h.stock('kitchen', item('Steak').id)) === steak);
    await eventually('the bakery hold is released', async () => (await h.stock('bakery', item('Gelato').id)) === gelato);
    expect((await h.orders(MY_ORDERS, {}, customer('crashed'))).data.myOrders.edges).toEqual([]);
    // The default grace again, so the placement below is not itself swept as abandoned under load.
    await h.restartOrders({}, {});
    const after = await h.orders(PLACE, { input: { lines: lines(['Steak', 1]) } }, customer('crashed'));
    expect(after.data.placeOrder.__typename).toBe('OrderPlaced');
  });

  it('when a station is down during a cancel, then the order is CANCELLED at once and its stock comes back once the station returns', async () => {
    const kitchenDir = engine === 'pglite' ? await scratchFolder('orders-kitchen-') : undefined;
    if (kitchenDir) cleanup.push(() => rm(kitchenDir, { recursive: true, force: true }));
    const h = await start({ stationDataDirs: kitchenDir ? { kitchen: kitchenDir } : {} });
    const owner = customer('cancel-while-down');
    const fish = await h.stock('kitchen', item('Grilled Fish').id);
    const placed = await h.orders(PLACE, { input: { lines: lines(['Grilled Fish', 2]) } }, owner);
    expect(placed.data.placeOrder.__typename).toBe('OrderPlaced');
    const id = placed.data.placeOrder.order.id;
    // A quick sweeper only once the order is placed: one whose grace is shorter than a placement under load
    // would roll back the placement itself, as it must for an order whose saga is gone.
    await h.restartOrders({}, { ORDERS_RECOVERY_GRACE_MS: '200', ORDERS_RECOVERY_INTERVAL_MS: '100' });
    await h.stopStation('kitchen');
    const cancelled = await h.orders(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id }, owner);
    expect(cancelled.data.cancelOrder.status).toBe('CANCELLED');
    await h.startStation('kitchen');
    await eventually('the sweeper returns the stock', async () => (await h.stock('kitchen', item('Grilled Fish').id)) === fish);
  });
});
