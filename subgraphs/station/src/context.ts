import type { SubgraphContext } from '@brigade/platform';
import type { MenuCatalog } from './data/menuCatalog.js';
import type { ReservationRepository } from './data/reservationRepository.js';
import type { StockLoader } from './data/stockLoader.js';
import type { StockRepository } from './data/stockRepository.js';

export interface StationDeps {
  readonly stock: StockRepository;
  readonly reservations: ReservationRepository;
  readonly menu: MenuCatalog;
}

export interface StationRequestDeps {
  readonly stockLoader: StockLoader;
}

export type StationContext = SubgraphContext & StationDeps & StationRequestDeps;
