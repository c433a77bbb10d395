import type { BatchLoader, LiveFeed, SubgraphContext } from '@brigade/platform';
import type { MenuCatalog } from './data/menuCatalog.js';
import type { ReservationRepository } from './data/reservationRepository.js';
import type { StockRepository } from './data/stockRepository.js';

export interface StationDeps {
  readonly stock: StockRepository;
  readonly reservations: ReservationRepository;
  readonly menu: MenuCatalog;
  /** Every committed change of an item's stock at this station, for subscriptions. */
  readonly stockEvents: LiveFeed<StockChange>;
}

/** An item's stock as its change committed (see migrations/002_stock_events.sql). */
export interface StockChange {
  readonly id: string;
  readonly stock: number;
}

export function parseStockChange(payload: string): StockChange {
  const { id, stock } = JSON.parse(payload) as { id: unknown; stock: unknown };
  if (typeof id !== 'string' || typeof stock !== 'number') throw new Error('malformed stock change');
  return { id, stock };
}

export interface StationRequestDeps {
  /** Quantity by item id; an item with no stock row has none. */
  readonly stockLoader: BatchLoader<string, number>;
}

export type StationContext = SubgraphContext & StationDeps & StationRequestDeps;
