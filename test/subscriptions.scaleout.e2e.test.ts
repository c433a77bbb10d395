/**
 * Live updates across replicas on one PostgreSQL: two gateways and two orders replicas. A change
 * committed through gateway B and orders replica 2 reaches a subscriber of gateway A, whose upstream
 * subscription is held by orders replica 1 — PostgreSQL's NOTIFY carries it between the replicas.
 * Needs TEST_DATABASE_URL (CI sets it); skipped without it.
 */
import { createGateway, loadConfig as loadGatewayConfig, type Gateway } from '@brigade/gateway';
import * as orders from '@brigade/orders';
import { SUBGRAPHS, type SubgraphServer } from '@brigade/platform';
import { createClient, startStack, subscribe, type LiveStream, type Stack } from '@brigade/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DATABASE_URL = process.env.TEST_DATABASE_URL;

describe.skipIf(!DATABASE_URL)('live updates across replicas on PostgreSQL', () => {
  let stack: Stack;
  let ordersReplica: SubgraphServer;
  let gatewayB: Gateway;
  let urlB: string;
  const streams: LiveStream[] = [];

  beforeAll(async () => {
    stack = await startStack({ databaseUrl: DATABASE_URL! });
    ordersReplica = await orders.createServer(await orders.loadConfig({ ...stack.envOf('orders'), PORT: '0' }));
    const ordersReplicaUrl = `${await ordersReplica.listen(0)}/graphql`;
    const subgraphUrls = Object.fromEntries(SUBGRAPHS.map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, stack.services[name].url]));
    gatewayB = await createGateway(
      await loadGatewayConfig({
        LOG_LEVEL: 'silent',
        HEALTH_CHECK_INTERVAL_MS: '500',
        SERVICE_TRUSTED_KEYS: JSON.stringify(stack.keyring.trusted),
        SERVICE_SIGNING_KEY: JSON.stringify(stack.keyring.privateKeys.gateway),
        ...subgraphUrls,
        SUBGRAPH_ORDERS_URL: ordersReplicaUrl,
      }),
    );
    urlB = `${await gatewayB.listen(0)}/graphql`;
  }, 120_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    await gatewayB?.stop();
    await ordersReplica?.stop();
    await stack?.stop();
  });

  it('when an order is placed and advanced through gateway B (orders replica 2), then subscribers on gateway A receive it', async () => {
    const b = createClient(urlB);
    const customer = await stack.signUp();
    const staff = await stack.userWithRole('STAFF');
    const menu = await stack.query('{ menu(category: DRINK) { id name } }');
    const coffee = (menu.data!.menu as { id: string; name: string }[]).find((m) => m.name === 'Coffee')!;

    for (const transport of ['sse', 'multipart'] as const) {
      const mine = await subscribe(stack.url, {
        transport,
        token: customer.accessToken,
        query: 'subscription { myOrderUpdates { id status version } }',
      });
      const board = await subscribe(stack.url, {
        transport,
        token: staff.accessToken,
        query: 'subscription { orderBoard(station: BAR) { id status lines { menuItem { name } } } }',
      });
      const stock = await subscribe(stack.url, { transport, query: 'subscription { drinkStockChanged { id stock } }' });
      streams.push(mine, board, stock);

      const placed = await b.query(
        'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { ... on OrderPlaced { order { id } } } }',
        { token: customer.accessToken, variables: { input: { lines: [{ menuItemId: coffee.id, quantity: 1 }] } } },
      );
      const id = placed.data!.placeOrder.order.id as string;
      expect(await mine.next()).toEqual({ data: { myOrderUpdates: { id, status: 'PLACED', version: 1 } } });
      expect(await board.next()).toEqual({ data: { orderBoard: { id, status: 'PLACED', lines: [{ menuItem: { name: 'Coffee' } }] } } });
      expect(((await stock.next()) as { data: { drinkStockChanged: { id: string } } }).data.drinkStockChanged.id).toBe(coffee.id);

      const advanced = await b.query('mutation ($id: ID!) { advanceOrder(id: $id, status: PREPARING) { status } }', {
        token: staff.accessToken,
        variables: { id },
      });
      expect(advanced.errors).toBeUndefined();
      expect(await mine.next()).toEqual({ data: { myOrderUpdates: { id, status: 'PREPARING', version: 2 } } });
      mine.close();
      board.close();
      stock.close();
    }
  });
});
