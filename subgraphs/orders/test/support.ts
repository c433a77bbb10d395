/**
 * Subgraph-level harness: the real menu and station servers plus an orders server, each on port 0 with
 * its own fresh database (PGlite in memory, or a unique schema on TEST_DATABASE_URL dropped afterwards).
 * Calls carry credentials minted the way the gateway (or orders) mints them.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import * as menu from '@brigade/menu';
import { SEED_MENU } from '@brigade/menu';
import * as station from '@brigade/station';
import {
  CredentialMinter,
  STATIONS,
  generateKeyring,
  userViewer,
  type Env,
  type ServiceKeyring,
  type ServiceName,
  type StationName,
  type SubgraphServer,
  type Viewer,
} from '@brigade/platform';
import { createServer, loadConfig, type OrdersServerOptions } from '../src/subgraph.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const ENGINES: readonly ('pglite' | 'postgres')[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export const item = (name: string) => {
  const found = SEED_MENU.find((i) => i.name === name);
  if (!found) throw new Error(`no seed item ${name}`);
  return found;
};

export const customer = (id: string) => userViewer(id, '', ['CUSTOMER']);
export const staff = (id = 'staff-1') => userViewer(id, 'orders:manage stock:write', ['STAFF']);
const admin = userViewer('admin-1', 'orders:manage stock:write menu:write users:manage', ['ADMIN']);

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string } }[];
}

export const codesOf = (r: GraphQLResponse) => (r.errors ?? []).map((e) => e.extensions?.code);

interface Running {
  url: string;
  server: SubgraphServer;
  port: number;
}

export interface Harness {
  readonly keyring: ServiceKeyring;
  readonly ordersUrl: string;
  readonly menuUrl: string;
  stationUrl(name: StationName): string;
  /** Calls orders as the gateway would, for `viewer`. */
  orders<T = any>(query: string, variables: Record<string, unknown>, viewer: Viewer): Promise<GraphQLResponse<T>>;
  /** Calls a station as `issuer` (default gateway) for `viewer` (default staff with stock:write). */
  station<T = any>(name: StationName, query: string, variables?: Record<string, unknown>, issuer?: ServiceName): Promise<GraphQLResponse<T>>;
  stock(name: StationName, menuItemId: string): Promise<number>;
  restock(name: StationName, menuItemId: string, quantity: number): Promise<void>;
  createMenuItem(name: string, category: 'DRINK' | 'MEAL' | 'DESSERT', price: number): Promise<string>;
  stopStation(name: StationName): Promise<void>;
  startStation(name: StationName): Promise<void>;
  /** Stops orders (in-flight requests get `shutdownMs`), then starts it again on the same database. */
  restartOrders(options?: OrdersServerOptions, env?: Env): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  engine: 'pglite' | 'postgres';
  ordersEnv?: Env;
  stationEnv?: Env;
  ordersOptions?: OrdersServerOptions;
  /** Point orders at another address for these stations (a black hole, a closed port). */
  stationUrlOverrides?: Partial<Record<StationName, string>>;
  menuUrlOverride?: string;
  /** A folder for orders' PGlite database, so a restart keeps its data. */
  dataDir?: string;
  /** Folders for these stations' PGlite databases, so stopping and starting one keeps its stock. */
  stationDataDirs?: Partial<Record<StationName, string>>;
}

const ITEM_TYPE: Record<StationName, string> = { kitchen: 'Dish', bar: 'Drink', bakery: 'Pastry' };

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const keyring = await generateKeyring();
  const tag = `t${randomBytes(5).toString('hex')}`;
  const schemas: string[] = [];
  const minters = new Map<string, CredentialMinter>();
  const mint = (issuer: ServiceName, audience: string, viewer: Viewer) => {
    let m = minters.get(issuer);
    if (!m) minters.set(issuer, (m = new CredentialMinter(issuer, keyring.privateKeys[issuer])));
    return m.mint(audience, viewer);
  };
  const envFor = (name: ServiceName, extra: Env = {}): Env => {
    const env: Env = {
      SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys[name]),
      SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
      DATA_DIR: 'memory',
      PORT: '0',
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '300',
      ...extra,
    };
    if (options.engine === 'postgres') {
      const schema = `${tag}_${name}`;
      if (!schemas.includes(schema)) schemas.push(schema);
      env[`${name.toUpperCase()}_DATABASE_URL`] = TEST_DATABASE_URL;
      env[`${name.toUpperCase()}_DATABASE_SCHEMA`] = schema;
    }
    return env;
  };
  const listen = async (server: SubgraphServer, port = 0): Promise<Running> => {
    const url = `${await server.listen(port, '127.0.0.1')}/graphql`;
    return { url, server, port: Number(new URL(url).port) };
  };

  const running: Running[] = [];
  const stations = {} as Record<StationName, Running & { up: boolean }>;
  let orders: Running | undefined;
  const stopAll = async () => {
    await Promise.allSettled([orders, ...running, ...Object.values(stations)].filter(Boolean).map((r) => r!.server.stop()));
    if (schemas.length) {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    }
  };

  try {
    const menuServer = await listen(await menu.createServer(await menu.loadConfig(envFor('menu'))));
    running.push(menuServer);
    const stationEnv = (name: StationName) =>
      envFor(name, {
        STATION: name,
        SUBGRAPH_MENU_URL: menuServer.url,
        ...(options.stationDataDirs?.[name] ? { DATA_DIR: options.stationDataDirs[name] } : {}),
        ...options.stationEnv,
      });
    for (const name of STATIONS) {
      const s = await listen(await station.createServer(await station.loadConfig(stationEnv(name))));
      stations[name] = { ...s, up: true };
    }
    const ordersEnv = (extra: Env = {}) =>
      envFor('orders', {
        SUBGRAPH_MENU_URL: options.menuUrlOverride ?? menuServer.url,
        ...Object.fromEntries(
          STATIONS.map((s) => [`SUBGRAPH_${s.toUpperCase()}_URL`, options.stationUrlOverrides?.[s] ?? stations[s].url]),
        ),
        ...(options.dataDir ? { DATA_DIR: options.dataDir } : {}),
        ...options.ordersEnv,
        ...extra,
      });
    orders = await listen(await createServer(await loadConfig(ordersEnv()), options.ordersOptions));

    const post = async (url: string, token: string, query: string, variables: Record<string, unknown>) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) } as GraphQLResponse;
    };
    const harness: Harness = {
      keyring,
      get ordersUrl() {
        return orders!.url;
      },
      menuUrl: menuServer.url,
      stationUrl: (name) => stations[name].url,
      async orders(query, variables, viewer) {
        return post(orders!.url, await mint('gateway', 'orders', viewer), query, variables);
      },
      async station(name, query, variables = {}, issuer = 'gateway') {
        return post(stations[name].url, await mint(issuer, name, admin), query, variables);
      },
      async stock(name, menuItemId) {
        const type = ITEM_TYPE[name];
        const r = await harness.station(
          name,
          `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${type} { stock } } }`,
          { r: [{ __typename: type, id: menuItemId }] },
        );
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
        const r = await post(
          menuServer.url,
          await mint('gateway', 'menu', admin),
          `mutation($input: CreateMenuItemInput!) { createMenuItem(input: $input) { id } }`,
          { input: { name, category, price } },
        );
        const id = (r.data as { createMenuItem?: { id: string } } | null)?.createMenuItem?.id;
        if (!id) throw new Error(`createMenuItem failed: ${JSON.stringify(r.errors)}`);
        return id;
      },
      async stopStation(name) {
        if (!stations[name].up) return;
        stations[name].up = false;
        await stations[name].server.stop();
      },
      async startStation(name) {
        if (stations[name].up) return;
        const server = await station.createServer(await station.loadConfig(stationEnv(name)));
        stations[name] = { ...(await listen(server, stations[name].port)), up: true };
      },
      async restartOrders(restartOptions, env) {
        await orders!.server.stop();
        orders = await listen(await createServer(await loadConfig(ordersEnv(env)), restartOptions), orders!.port);
      },
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
  mutation($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      __typename
      ... on OrderPlaced { order { id status total { amount currency } lines { quantity menuItem { id } unitPrice { amount } subtotal { amount } } } }
      ... on OrderRejected { reason message lines { menuItemId reason available } }
    }
  }
`;

export function lines(...spec: [string, number][]) {
  return spec.map(([name, quantity]) => ({ menuItemId: item(name).id, quantity }));
}

/** Polls `probe` until it returns true; fails with `what` after a generous deadline (not a timing assertion). */
export async function eventually(what: string, probe: () => Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}
