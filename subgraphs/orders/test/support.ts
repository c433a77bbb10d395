/**
 * The orders suite's own tools: a composition of the real menu, stations and orders (started with the
 * test kit), the faults a station or the menu can show (a black hole, a slow network), and its order data.
 */
import { rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import * as menu from '@brigade/menu';
import { SEED_MENU } from '@brigade/menu';
import * as station from '@brigade/station';
import { STATIONS, type Env, type ServiceKeyring, type ServiceName, type StationName, type Viewer } from '@brigade/platform';
import {
  admin,
  scratchFolder,
  startSubgraph,
  testKeyring,
  type Engine,
  type GraphQLResponse,
  type SubgraphModule,
  type TestSubgraph,
} from '@brigade/testing';
import * as orders from '../src/subgraph.js';

export const item = (name: string) => {
  const found = SEED_MENU.find((i) => i.name === name);
  if (!found) throw new Error(`no seed item ${name}`);
  return found;
};

export interface Harness {
  readonly keyring: ServiceKeyring;
  readonly ordersUrl: string;
  readonly menuUrl: string;
  stationUrl(name: StationName): string;
  /** Calls orders as the gateway would, for `viewer`. */
  orders<T = any>(query: string, variables: Record<string, unknown>, viewer: Viewer): Promise<GraphQLResponse<T>>;
  /** Calls a station as `issuer` (default gateway) for `viewer` (default staff with stock:write). */
  station<T = any>(
    name: StationName,
    query: string,
    variables?: Record<string, unknown>,
    issuer?: ServiceName,
  ): Promise<GraphQLResponse<T>>;
  stock(name: StationName, menuItemId: string): Promise<number>;
  restock(name: StationName, menuItemId: string, quantity: number): Promise<void>;
  createMenuItem(name: string, category: 'DRINK' | 'MEAL' | 'DESSERT', price: number): Promise<string>;
  stopStation(name: StationName): Promise<void>;
  startStation(name: StationName): Promise<void>;
  /** Stops orders (in-flight requests get `shutdownMs`), then starts it again on the same database. */
  restartOrders(options?: orders.OrdersServerOptions, env?: Env): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  engine: Engine;
  ordersEnv?: Env;
  stationEnv?: Env;
  ordersOptions?: orders.OrdersServerOptions;
  /** Point orders at another address for these stations (a black hole, a closed port). */
  stationUrlOverrides?: Partial<Record<StationName, string>>;
  menuUrlOverride?: string;
  /** A folder for orders' PGlite database, so a restart keeps its data. */
  dataDir?: string;
  /** Folders for these stations' PGlite databases, so stopping and starting one keeps its stock. */
  stationDataDirs?: Partial<Record<StationName, string>>;
}

const ITEM_TYPE: Record<StationName, string> = { kitchen: 'Dish', bar: 'Drink', bakery: 'Pastry' };

/** The orders package with these saga options (its faults), as a module the kit starts. */
const ordersWith = (
  options?: orders.OrdersServerOptions,
): SubgraphModule<orders.OrdersConfig, Awaited<ReturnType<typeof orders.createServer>>> => ({
  name: orders.name,
  loadConfig: orders.loadConfig,
  createServer: (config) => orders.createServer(config, options),
});

/** menu, the three stations and orders, each in this process on a fresh database. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const keyring = await testKeyring();
  const started: TestSubgraph[] = [];
  // On PGlite the five share one cluster, a schema each: one to copy and open per test instead of five.
  const cluster = options.engine === 'pglite' ? await scratchFolder('orders-harness-') : undefined;
  const start = async <C, S extends TestSubgraph['server']>(module: SubgraphModule<C, S>, env: Env) => {
    const subgraph = await startSubgraph(module, {
      engine: options.engine,
      keyring,
      env: { SHUTDOWN_TIMEOUT_MS: '300', ...(cluster && !env.DATA_DIR ? { PGLITE_DIR: cluster } : {}), ...env },
    });
    started.push(subgraph);
    return subgraph;
  };
  const stopAll = async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
    if (cluster) await rm(cluster, { recursive: true, force: true });
  };

  try {
    const menuServer = await start(menu, {});
    const stationList: TestSubgraph[] = await Promise.all(
      STATIONS.map((name) =>
        start(station, {
          STATION: name,
          SUBGRAPH_MENU_URL: menuServer.url,
          ...(options.stationDataDirs?.[name] ? { DATA_DIR: options.stationDataDirs[name] } : {}),
          ...options.stationEnv,
        }),
      ),
    );
    const stations = Object.fromEntries(STATIONS.map((name, i) => [name, stationList[i]!])) as Record<StationName, TestSubgraph>;
    const ordersServer = await start(ordersWith(options.ordersOptions), {
      SUBGRAPH_MENU_URL: options.menuUrlOverride ?? menuServer.url,
      ...Object.fromEntries(STATIONS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, options.stationUrlOverrides?.[s] ?? stations[s].url])),
      ...(options.dataDir ? { DATA_DIR: options.dataDir } : {}),
      ...options.ordersEnv,
    });

    const harness: Harness = {
      keyring,
      ordersUrl: ordersServer.url,
      menuUrl: menuServer.url,
      stationUrl: (name) => stations[name].url,
      orders: (query, variables, viewer) => ordersServer.call(query, variables, { viewer }),
      station: (name, query, variables = {}, issuer = 'gateway') => stations[name].call(query, variables, { issuer, viewer: admin() }),
      async stock(name, menuItemId) {
        const type = ITEM_TYPE[name];
        const r = await harness.station(name, `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${type} { stock } } }`, {
          r: [{ __typename: type, id: menuItemId }],
        });
        const stock = r.data?._entities?.[0]?.stock;
        if (typeof stock !== 'number') throw new Error(`no stock for ${menuItemId}: ${JSON.stringify(r)}`);
        return stock;
      },
      async restock(name, menuItemId, quantity) {
        const type = ITEM_TYPE[name];
        const r = await harness.station(name, `mutation($id: ID!, $q: Int!) { restock${type}(id: $id, quantity: $q) { stock } }`, {
          id: menuItemId,
          q: quantity,
        });
        if (r.errors) throw new Error(`restock failed: ${JSON.stringify(r.errors)}`);
      },
      async createMenuItem(name, category, price) {
        const r = await menuServer.call<{ createMenuItem?: { id: string } }>(
          `mutation($input: CreateMenuItemInput!) { createMenuItem(input: $input) { id } }`,
          { input: { name, category, price } },
          { viewer: admin() },
        );
        const id = r.data?.createMenuItem?.id;
        if (!id) throw new Error(`createMenuItem failed: ${JSON.stringify(r.errors)}`);
        return id;
      },
      stopStation: (name) => stations[name].stopServer(),
      async startStation(name) {
        if (!stations[name].running) await stations[name].restart();
      },
      restartOrders: (restartOptions, env) => ordersServer.restart({ env, module: ordersWith(restartOptions) }),
      stop: stopAll,
    };
    return harness;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** A TCP server that accepts connections and never answers: a station that hangs. */
export async function startBlackHole(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/graphql`,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface DelayProxy {
  readonly url: string;
  /** Where requests go once delayed; set after the real server started. */
  target: string;
  /** Resolves once every request the proxy accepted has reached its target and been answered. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A proxy in front of a subgraph that holds each request for `delayMs(body)` before forwarding it. It
 * forwards even when the caller gave up meanwhile, as a slow network would deliver the request late.
 */
export async function startDelayProxy(delayMs: (body: string) => number): Promise<DelayProxy> {
  const pending = new Set<Promise<void>>();
  const server = createHttpServer((req, res) => {
    const handled = (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      await new Promise((resolve) => setTimeout(resolve, delayMs(body)));
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'authorization', 'x-request-id']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      try {
        const response = await fetch(proxy.target, { method: 'POST', headers, body });
        const text = await response.text();
        res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      } catch {
        res.writeHead(502).end();
      }
    })();
    pending.add(handled);
    void handled.finally(() => pending.delete(handled));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  const proxy: DelayProxy = {
    url: `http://127.0.0.1:${address.port}/graphql`,
    target: '',
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    async stop() {
      await proxy.settled();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

export const PLACE = /* GraphQL */ `
  mutation ($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced {
        order {
          id
          status
          total {
            amount
            currency
          }
          lines {
            quantity
            menuItem {
              id
            }
            unitPrice {
              amount
            }
            subtotal {
              amount
            }
          }
        }
      }
      ... on OrderRejected {
        reason
        message
        lines {
          menuItemId
          reason
          available
        }
      }
    }
  }
`;

export function lines(...spec: [string, number][]) {
  return spec.map(([name, quantity]) => ({ menuItemId: item(name).id, quantity }));
}
