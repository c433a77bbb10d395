import { readFileSync } from 'node:fs';
import {
  BatchLoader,
  CredentialVerifier,
  SEED_MENU,
  createLogger,
  createSubgraphServer,
  migrate,
  openDatabase,
  type SubgraphServer,
  type Callers,
} from '@brigade/platform';
import { gql } from 'graphql-tag';
import type { MenuConfig } from './config.js';
import type { MenuDeps, MenuRequestDeps } from './context.js';
import { MenuRepository } from './data/menuRepository.js';
import { resolvers } from './resolvers/index.js';

export { loadConfig, type MenuConfig } from './config.js';
export { resolvers };

export const name = 'menu';
export const typeDefs = gql(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Who may call menu: the gateway for clients, orders for prices, the stations to check an item's type. */
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
export const ACCEPTED_ISSUERS = Object.keys(CALLERS);

export async function createServer(config: MenuConfig): Promise<SubgraphServer> {
  const logger = createLogger(name, { level: config.logLevel });
  const db = await openDatabase({ url: config.databaseUrl, schema: config.databaseSchema, dataDir: config.pgliteDir });
  try {
    await migrate(db, new URL('../migrations/', import.meta.url));
    const menu = new MenuRepository(db);
    if (await menu.seedOnce(SEED_MENU)) logger.info({ items: SEED_MENU.length }, 'seeded the menu');
    return await createSubgraphServer<MenuDeps>({
      name,
      typeDefs,
      resolvers: resolvers as never,
      deps: { menu },
      requestDeps: (): MenuRequestDeps => ({ menuItems: new BatchLoader((ids) => menu.byIds(ids)) }),
      callers: CALLERS,
      verifier: new CredentialVerifier(name, config.trustedKeys, ACCEPTED_ISSUERS),
      logger,
      production: config.production,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      ready: () => menu.ping(),
      onStop: () => db.close(),
    });
  } catch (error) {
    await db.close();
    throw error;
  }
}
