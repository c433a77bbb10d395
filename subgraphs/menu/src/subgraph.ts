import { BatchLoader, defineSubgraph, loadTypeDefs, type Callers } from '@brigade/platform';
import { loadConfig, type MenuConfig } from './config.js';
import type { MenuDeps, MenuRequestDeps } from './context.js';
import { MenuRepository } from './data/menuRepository.js';
import { SEED_MENU, type SeedItem } from './data/seed.js';
import { resolvers } from './resolvers/index.js';

export { loadConfig, resolvers, SEED_MENU, type MenuConfig, type SeedItem };

export const name = 'menu';
export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

/**
 * Who may call menu, and what: clients through the gateway; orders' batch lookup of the items of an order;
 * the stations' check that an item exists.
 */
export const CALLERS: Callers = {
  gateway: 'public',
  orders: ['Query.menuItemsByIds'],
  kitchen: ['Query.menuItem'],
  bar: ['Query.menuItem'],
  bakery: ['Query.menuItem'],
};

export const createServer = defineSubgraph<MenuConfig, MenuDeps, MenuRequestDeps>({
  name,
  typeDefs,
  resolvers,
  migrations: new URL('../migrations/', import.meta.url),
  callers: CALLERS,
  async start({ db, logger }) {
    const menu = new MenuRepository(db);
    if (await menu.seedOnce(SEED_MENU)) logger.info({ items: SEED_MENU.length }, 'seeded the menu');
    return {
      deps: { menu },
      requestDeps: () => ({ menuItems: new BatchLoader((ids) => menu.byIds(ids)) }),
      ready: () => menu.ping(),
    };
  },
});
