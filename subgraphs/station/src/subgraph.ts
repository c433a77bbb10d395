import { BatchLoader, CredentialMinter, defineSubgraph, LiveFeed, ServiceClient, type Callers } from '@brigade/platform';
import type { DocumentNode } from 'graphql';
import { gql } from 'graphql-tag';
import { loadConfig, type StationConfig } from './config.js';
import { parseStockChange, type StationDeps, type StationRequestDeps } from './context.js';
import { MenuCatalog } from './data/menuCatalog.js';
import { ReservationRepository } from './data/reservationRepository.js';
import { SEED_STOCK } from './data/seed.js';
import { StockRepository } from './data/stockRepository.js';
import { createResolvers } from './resolvers/index.js';
import { STATION_PROFILES, renderStationSdl, type StationProfile } from './stations.js';

export { loadConfig, SEED_STOCK, STATION_PROFILES, type StationConfig, type StationProfile };

/** The code base's name; each deployment serves as its station's name (kitchen, bar, bakery). */
export const name = 'station';
/** The SDL one station serves: the template with its item type filled in. */
export const typeDefs = (profile: StationProfile): DocumentNode => gql(renderStationSdl(profile));
/** The resolvers one station serves, for its item type. */
export const resolvers = createResolvers;

/** Who may call a station, and what: clients through the gateway (stock, restock), the orders saga (reservations). */
export const CALLERS: Callers = {
  gateway: 'public',
  orders: ['Mutation.reserveStock', 'Mutation.confirmReservation', 'Mutation.releaseReservation'],
};

export const createServer = defineSubgraph<StationConfig, StationDeps, StationRequestDeps>({
  name: ({ profile }) => profile.station,
  typeDefs: ({ profile }) => typeDefs(profile),
  resolvers: ({ profile }) => resolvers(profile),
  migrations: new URL('../migrations/', import.meta.url),
  callers: CALLERS,
  async start({ db, logger, config, onClose }) {
    const { station } = config.profile;
    const stock = new StockRepository(db);
    const stockEvents = await LiveFeed.open(db, 'stock_changed', parseStockChange, logger);
    onClose(() => stockEvents.close());
    if (await stock.seedOnce(SEED_STOCK[station])) logger.info({ items: SEED_STOCK[station].length }, 'seeded the stock');
    const reservations = new ReservationRepository(db, config.reservationTtlMs);
    const minter = new CredentialMinter(station, config.signingKey);
    const menuClient = new ServiceClient({ minter, target: 'menu', url: config.menuUrl, timeoutMs: config.menuTimeoutMs });
    onClose(() => menuClient.close());
    const menu = new MenuCatalog(menuClient);
    const sweep = async () => {
      const released = await reservations.sweepExpired();
      if (released) logger.info({ released }, 'released expired reservations');
    };
    return {
      deps: { stock, reservations, menu, stockEvents },
      requestDeps: () => ({ stockLoader: new BatchLoader((ids) => stock.quantities(ids)) }),
      ready: () => stock.ping(),
      timers: [{ name: 'reservation sweep', everyMs: config.sweepIntervalMs, run: sweep }],
    };
  },
});
