import { loadConfig as authConfig } from '@brigade/auth/config';
import { loadConfig as menuConfig } from '@brigade/menu/config';
import { loadConfig as ordersConfig } from '@brigade/orders/config';
import type { Env, SubgraphName, SubgraphServer } from '@brigade/platform';
import { loadConfig as stationConfig } from '@brigade/station/config';

/**
 * Reads a subgraph's configuration from its environment and returns what starts it. The subgraph's own
 * module (Apollo, PGlite, its resolvers) is imported only then, so a bad variable is reported before any of
 * that is loaded.
 */
export type SubgraphStart = (env: Env) => Promise<() => Promise<SubgraphServer>>;

const startWith =
  <Config>(
    loadConfig: (env: Env) => Promise<Config>,
    load: () => Promise<{ createServer(config: Config): Promise<SubgraphServer> }>,
    fixed: Env = {},
  ): SubgraphStart =>
  async (env) => {
    const config = await loadConfig({ ...env, ...fixed });
    return async () => (await load()).createServer(config);
  };

const station = (name: 'kitchen' | 'bar' | 'bakery') => startWith(stationConfig, () => import('@brigade/station'), { STATION: name });

/**
 * How each subgraph starts from its environment: every module by the same `loadConfig` → `createServer`,
 * the station code base once per deployment. One list for whatever hosts several subgraphs in a process
 * (scripts/subgraph-host.ts for `npm start`; the test stack).
 */
export const SUBGRAPH_STARTS: Readonly<Record<SubgraphName, SubgraphStart>> = {
  auth: startWith(authConfig, () => import('@brigade/auth')),
  menu: startWith(menuConfig, () => import('@brigade/menu')),
  orders: startWith(ordersConfig, () => import('@brigade/orders')),
  kitchen: station('kitchen'),
  bar: station('bar'),
  bakery: station('bakery'),
};
