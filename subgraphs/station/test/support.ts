import type { Env, StationName } from '@brigade/platform';
import * as menu from '@brigade/menu';
import { startSubgraph, type Caller, type Engine, type TestSubgraph } from '@brigade/testing';
import * as station from '../src/subgraph.js';

export function startStation(name: StationName, engine: Engine, env: Env = {}): Promise<StationServer> {
  return startSubgraph(station, { engine, env: { STATION: name, ...env } }).then((server) => new StationServer(server));
}

export function startMenu(engine: Engine): Promise<TestSubgraph> {
  return startSubgraph(menu, { engine });
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
  constructor(readonly server: TestSubgraph) {}

  get url() {
    return this.server.url;
  }

  call: TestSubgraph['call'] = (...args) => this.server.call(...args);

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
