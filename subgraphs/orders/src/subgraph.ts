import {
  BatchLoader,
  CredentialMinter,
  defineSubgraph,
  LiveFeed,
  loadTypeDefs,
  ServiceClient,
  STATIONS,
  type Callers,
  type StationName,
} from '@brigade/platform';
import { MenuClient } from './clients/menuClient.js';
import { StationsClient } from './clients/stationsClient.js';
import { loadConfig, type OrdersConfig } from './config.js';
import type { OrdersDeps, OrdersRequestDeps } from './context.js';
import { OrdersRepository, parseOrderChange } from './data/ordersRepository.js';
import { PlaceOrderSaga, type SagaFaults } from './domain/placeOrder.js';
import { RecoverySweeper } from './domain/recovery.js';
import { resolvers } from './resolvers/index.js';

export { loadConfig, resolvers, type OrdersConfig, type SagaFaults };

export const name = 'orders';
export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

/** Who may call orders, and what: only the gateway, for clients. */
export const CALLERS: Callers = { gateway: 'public' };

export interface OrdersServerOptions {
  /**
   * Test hooks. `afterReserve` runs once every station granted its hold, before confirming: throwing or
   * never resolving there simulates a coordinator dying mid-saga. ORDERS_FAULT=exit-after-reserve sets
   * one that exits the process (status 137, as if killed).
   */
  faults?: SagaFaults;
}

export const createServer = (config: OrdersConfig, options: OrdersServerOptions = {}) => serve({ ...config, ...options });

const serve = defineSubgraph<OrdersConfig & OrdersServerOptions, OrdersDeps, OrdersRequestDeps>({
  name,
  typeDefs,
  resolvers,
  migrations: new URL('../migrations/', import.meta.url),
  callers: CALLERS,
  async start({ db, logger, config, onClose }) {
    const minter = new CredentialMinter(name, config.signingKey);
    const client = (target: string, url: string, timeoutMs: number) => {
      const serviceClient = new ServiceClient({ minter, target, url, timeoutMs });
      onClose(() => serviceClient.close());
      return serviceClient;
    };
    const orders = new OrdersRepository(db);
    const orderEvents = await LiveFeed.open(db, 'order_changed', parseOrderChange, logger);
    onClose(() => orderEvents.close());
    const stations = new StationsClient(
      Object.fromEntries(STATIONS.map((s) => [s, client(s, config.stationUrls[s], config.stationTimeoutMs)])) as Record<
        StationName,
        ServiceClient
      >,
    );
    const faults: SagaFaults = config.faults ?? {};
    if (config.fault === 'exit-after-reserve' && !faults.afterReserve) {
      faults.afterReserve = (orderId) => {
        logger.fatal({ orderId }, 'ORDERS_FAULT=exit-after-reserve: exiting with holds granted');
        process.exit(137);
      };
    }
    const { deadlineMs, answerMarginMs, menuTimeoutMs, stationTimeoutMs } = config;
    const menu = new MenuClient(client('menu', config.menuUrl, menuTimeoutMs));
    const saga = new PlaceOrderSaga({
      store: orders,
      menu,
      stations,
      logger,
      deadlineMs,
      answerMarginMs,
      menuTimeoutMs,
      stationTimeoutMs,
      faults,
    });
    onClose(() => saga.idle());
    const sweeper = new RecoverySweeper({
      store: orders,
      stations,
      logger,
      graceMs: config.recoveryGraceMs,
      concurrency: config.recoveryConcurrency,
      passBudgetMs: config.recoveryPassMs,
    });
    return {
      deps: { orders, saga, stations, orderEvents },
      requestDeps: () => ({
        orderLoader: new BatchLoader((ids) => orders.getMany(ids)),
        lineLoader: new BatchLoader((ids) => orders.linesOfMany(ids)),
      }),
      ready: () => orders.ping(),
      // Start-up recovery runs in the background too: stations may still be starting, and readiness must not
      // wait on them; the periodic pass retries whatever this one could not finish.
      timers: [{ name: 'recovery sweep', everyMs: config.recoveryIntervalMs, atStart: true, run: () => sweeper.sweep() }],
    };
  },
});
