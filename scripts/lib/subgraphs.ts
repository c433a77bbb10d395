import * as auth from '@brigade/auth';
import * as menu from '@brigade/menu';
import * as orders from '@brigade/orders';
import { serverFromEnv, type Env, type SubgraphName, type SubgraphServer } from '@brigade/platform';
import * as station from '@brigade/station';

/**
 * How each subgraph starts from its environment: every module by the same `loadConfig` → `createServer`,
 * the station code base once per deployment. One list for whatever hosts several subgraphs in a process
 * (scripts/subgraph-host.ts for `npm start`; the test stack).
 */
export const SUBGRAPH_SERVERS: Readonly<Record<SubgraphName, (env: Env) => Promise<SubgraphServer>>> = {
  auth: serverFromEnv(auth),
  menu: serverFromEnv(menu),
  orders: serverFromEnv(orders),
  kitchen: serverFromEnv(station, { STATION: 'kitchen' }),
  bar: serverFromEnv(station, { STATION: 'bar' }),
  bakery: serverFromEnv(station, { STATION: 'bakery' }),
};
