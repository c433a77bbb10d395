import {
  BatchLoader,
  createLogger,
  createSubgraphServer,
  CredentialMinter,
  CredentialVerifier,
  migrate,
  openDatabase,
  SEED_MENU,
  ServiceClient,
  type SubgraphServer,
  type Callers,
} from '@brigade/platform';
import type { DocumentNode } from 'graphql';
import { gql } from 'graphql-tag';
import type { StationConfig } from './config.js';
import type { StationDeps, StationRequestDeps } from './context.js';
import { MenuCatalog } from './data/menuCatalog.js';
import { ReservationRepository } from './data/reservationRepository.js';
import { StockRepository } from './data/stockRepository.js';
import { createResolvers } from './resolvers/index.js';
import { STATION_PROFILES, renderStationSdl, type StationProfile } from './stations.js';

export { loadConfig, type StationConfig } from './config.js';
export { STATION_PROFILES, createResolvers, type StationProfile };

/** The code base's name; each deployment serves as its station's name (kitchen, bar, bakery). */
export const name = 'station';

/** The SDL one station serves: the template with its item type filled in. */
export function typeDefsFor(profile: StationProfile): DocumentNode {
  return gql(renderStationSdl(profile));
}

/** Who may call a station, and what: clients through the gateway (stock, restock), the orders saga (reservations). */
export const CALLERS: Callers = {
  gateway: 'public',
  orders: ['Mutation.reserveStock', 'Mutation.confirmReservation', 'Mutation.releaseReservation'],
};
export const ACCEPTED_ISSUERS = Object.keys(CALLERS);

export async function createServer(config: StationConfig): Promise<SubgraphServer> {
  const { profile } = config;
  const logger = createLogger(profile.station, { level: config.logLevel });
  const db = await openDatabase({ url: config.databaseUrl, schema: config.databaseSchema, dataDir: config.pgliteDir });
  let sweeper: NodeJS.Timeout | undefined;
  try {
    await migrate(db, new URL('../migrations/', import.meta.url));
    const stock = new StockRepository(db);
    const seed = SEED_MENU.filter((item) => item.station === profile.station);
    if (await stock.seedOnce(seed)) logger.info({ items: seed.length }, 'seeded the stock');
    const reservations = new ReservationRepository(db, config.reservationTtlMs);
    const menu = new MenuCatalog(
      new ServiceClient({
        minter: new CredentialMinter(profile.station, config.signingKey),
        target: 'menu',
        url: config.menuUrl,
        timeoutMs: config.menuTimeoutMs,
      }),
    );

    let sweeping: Promise<void> | undefined;
    const sweep = () => {
      sweeping ??= reservations
        .sweepExpired()
        .then(
          (released) => void (released && logger.info({ released }, 'released expired reservations')),
          (error: unknown) => logger.warn({ err: error }, 'reservation sweep failed'),
        )
        .finally(() => (sweeping = undefined));
    };
    sweeper = setInterval(sweep, config.sweepIntervalMs);
    sweeper.unref();

    return await createSubgraphServer<StationDeps>({
      name: profile.station,
      typeDefs: typeDefsFor(profile),
      resolvers: createResolvers(profile) as never,
      deps: { stock, reservations, menu },
      requestDeps: (): StationRequestDeps => ({ stockLoader: new BatchLoader((ids) => stock.quantities(ids)) }),
      callers: CALLERS,
      verifier: new CredentialVerifier(profile.station, config.trustedKeys, ACCEPTED_ISSUERS),
      logger,
      production: config.production,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      ready: () => stock.ping(),
      onStop: async () => {
        clearInterval(sweeper);
        await sweeping;
        await db.close();
      },
    });
  } catch (error) {
    clearInterval(sweeper);
    await db.close();
    throw error;
  }
}
