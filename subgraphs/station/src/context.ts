import type { BatchLoader, SubgraphContext } from '@brigade/platform';
import type { MenuCatalog } from './data/menuCatalog.js';
import type { ReservationRepository } from './data/reservationRepository.js';
import type { StockRepository } from './data/stockRepository.js';

export interface StationDeps {
  readonly stock: StockRepository;
  readonly reservations: ReservationRepository;
  readonly menu: MenuCatalog;
}

export interface StationRequestDeps {
  /** Quantity by item id; an item with no stock row has none. */
  readonly stockLoader: BatchLoader<string, number>;
}

export type StationContext = SubgraphContext & StationDeps & StationRequestDeps;
