import type { Env, StationName } from '@brigade/platform';
import { createServer as createMenuServer, loadConfig as loadMenuConfig } from '@brigade/menu';
import { createServer, loadConfig } from '../src/subgraph.js';
import { startTestServer, type Caller, type TestServer } from '../../menu/test/support.js';

export * from '../../menu/test/support.js';

export type Engine = 'pglite' | 'postgres';

export function startStation(station: StationName, engine: Engine, env: Env = {}): Promise<StationServer> {
  return startTestServer({ name: station, engine, loadConfig, createServer, env: { STATION: station, ...env } }).then(
    (server) => new StationServer(server),
  );
}

export function startMenu(engine: Engine): Promise<TestServer> {
  return startTestServer({ name: 'menu', engine, loadConfig: loadMenuConfig, createServer: createMenuServer });
}

export interface ReservationResult {
  orderId: string;
  status: 'HELD' | 'CONFIRMED' | 'REFUSED' | 'RELEASED';
  lines: { menuItemId: string; quantity: number; available: number }[];
}

const RESERVATION = 'orderId status lines { menuItemId quantity available }';
const ORDERS: Caller = { issuer: 'orders' };

/** A station under test, with the calls the orders saga makes. */
export class StationServer {
  constructor(readonly server: TestServer) {}

  get url() {
    return this.server.url;
  }

  call: TestServer['call'] = (...args) => this.server.call(...args);

  stop() {
    return this.server.stop();
  }

  async reserve(orderId: string, lines: { menuItemId: string; quantity: number }[], as: Caller = ORDERS) {
    return this.server.call<{ reserveStock: ReservationResult }>(
      `mutation($orderId: ID!, $lines: [StockLineInput!]!) { reserveStock(orderId: $orderId, lines: $lines) { ${RESERVATION} } }`,
      { orderId, lines },
      as,
    );
  }

  async confirm(orderId: string, as: Caller = ORDERS) {
    return this.server.call<{ confirmReservation: ReservationResult }>(
      `mutation($orderId: ID!) { confirmReservation(orderId: $orderId) { ${RESERVATION} } }`,
      { orderId },
      as,
    );
  }

  async release(orderId: string, as: Caller = ORDERS) {
    return this.server.call<{ releaseReservation: ReservationResult }>(
      `mutation($orderId: ID!) { releaseReservation(orderId: $orderId) { ${RESERVATION} } }`,
      { orderId },
      as,
    );
  }

  /** Stock of each id, read the way the gateway does: one `_entities` call. */
  async stock(type: string, ids: string[]): Promise<number[]> {
    const res = await this.server.call<{ _entities: { stock: number }[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${type} { stock } } }`,
      { r: ids.map((id) => ({ __typename: type, id })) },
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!._entities.map((e) => e.stock);
  }
}
