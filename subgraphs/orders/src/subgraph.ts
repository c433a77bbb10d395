import { readFileSync } from 'node:fs';
import {
  BatchLoader,
  createLogger,
  createSubgraphServer,
  CredentialMinter,
  CredentialVerifier,
  migrate,
  openDatabase,
  ServiceClient,
  type StationName,
  STATIONS,
  type SubgraphServer,
  type Callers,
} from '@brigade/platform';
import { gql } from 'graphql-tag';
import { MenuClient } from './clients/menuClient.js';
import { StationsClient } from './clients/stationsClient.js';
import type { OrdersConfig } from './config.js';
import type { OrdersDeps, OrdersRequestDeps } from './context.js';
import { OrdersRepository } from './data/ordersRepository.js';
import { PlaceOrderSaga, type SagaFaults } from './domain/placeOrder.js';
import { RecoverySweeper } from './domain/recovery.js';
import { resolvers } from './resolvers/index.js';

export { loadConfig, type OrdersConfig } from './config.js';
export type { SagaFaults } from './domain/placeOrder.js';
export { resolvers };

export const name = 'orders';
export const typeDefs = gql(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Who may call orders, and what: only the gateway, for clients. */
export const CALLERS: Callers = { gateway: 'public' };
export const ACCEPTED_ISSUERS = Object.keys(CALLERS);

export interface OrdersServerOptions {
  /**
   * Test hooks. `afterReserve` runs once every station granted its hold, before confirming: throwing or
   * never resolving there simulates a coordinator dying mid-saga. ORDERS_FAULT=exit-after-reserve sets
   * one that exits the process (status 137, as if killed).
   */
  faults?: SagaFaults;
}

export async function createServer(config: OrdersConfig, options: OrdersServerOptions = {}): Promise<SubgraphServer> {
  const logger = createLogger(name, { level: config.logLevel });
  const db = await openDatabase({ url: config.databaseUrl, schema: config.databaseSchema, dataDir: config.pgliteDir });
  try {
    await migrate(db, new URL('../migrations/', import.meta.url));
    const minter = new CredentialMinter(name, config.signingKey);
    const client = (target: string, url: string, timeoutMs: number) => new ServiceClient({ minter, target, url, timeoutMs });
    const orders = new OrdersRepository(db);
    const stations = new StationsClient(
      Object.fromEntries(
        STATIONS.map((s) => [s, client(s, config.stationUrls[s], config.stationTimeoutMs)]),
      ) as Record<StationName, ServiceClient>,
    );
    const faults: SagaFaults = options.faults ?? {};
    if (config.fault === 'exit-after-reserve' && !faults.afterReserve) {
      faults.afterReserve = (orderId) => {
        logger.fatal({ orderId }, 'ORDERS_FAULT=exit-after-reserve: exiting with holds granted');
        process.exit(137);
      };
    }
    const saga = new PlaceOrderSaga({
      store: orders,
      menu: new MenuClient(client('menu', config.menuUrl, config.menuTimeoutMs)),
      stations,
      logger,
      deadlineMs: config.deadlineMs,
      menuTimeoutMs: config.menuTimeoutMs,
      stationTimeoutMs: config.stationTimeoutMs,
      faults,
    });
    const sweeper = new RecoverySweeper({ store: orders, stations, logger, graceMs: config.recoveryGraceMs });
    const sweep = () =>
      sweeper.sweep().catch((error: unknown) => logger.error({ err: error }, 'recovery sweep failed'));
    let timer: NodeJS.Timeout | undefined;
    const server = await createSubgraphServer<OrdersDeps>({
      name,
      typeDefs,
      resolvers: resolvers as never,
      deps: { orders, saga, stations },
      requestDeps: (): OrdersRequestDeps => ({
        orderLoader: new BatchLoader((ids) => orders.getMany(ids)),
        lineLoader: new BatchLoader((ids) => orders.linesOfMany(ids)),
      }),
      callers: CALLERS,
      verifier: new CredentialVerifier(name, config.trustedKeys, ACCEPTED_ISSUERS),
      logger,
      production: config.production,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      ready: () => orders.ping(),
      onStop: async () => {
        clearInterval(timer);
        await Promise.all([sweeper.idle(), saga.idle()]);
        await db.close();
      },
    });
    // Start-up recovery runs in the background: stations may still be starting, and readiness must not
    // wait on them; the periodic pass retries whatever this one could not finish.
    void sweep();
    timer = setInterval(sweep, config.recoveryIntervalMs);
    timer.unref();
    return server;
  } catch (error) {
    await db.close();
    throw error;
  }
}
