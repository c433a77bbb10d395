/** The reservation API's rules, shared by every station. Never imports graphql. */
import { BadUserInputError } from '@brigade/platform/problems';

export type ReservationStatus = 'HELD' | 'CONFIRMED' | 'REFUSED' | 'RELEASED';
/** What is stored: a refusal never is. */
export type StoredStatus = Exclude<ReservationStatus, 'REFUSED'>;

export interface StockLine {
  readonly itemId: string;
  readonly quantity: number;
}

export interface LineResult extends StockLine {
  /** Stock left after the reservation, or (refused) what is in stock now. */
  readonly available: number;
}

export interface Reservation {
  readonly orderId: string;
  readonly status: ReservationStatus;
  readonly lines: readonly LineResult[];
}

export const MAX_LINES = 50;
export const MAX_LINE_QUANTITY = 50;
export const MIN_RESTOCK = 1;
export const MAX_RESTOCK = 10_000;

/**
 * Validates a reservation request and merges repeated items. Lines come back sorted by item id: every
 * transaction locks stock rows in that order, so two reservations can never deadlock on PostgreSQL.
 */
export function normalizeLines(orderId: string, lines: readonly StockLine[]): StockLine[] {
  if (!orderId.trim()) throw new BadUserInputError('orderId must not be empty.', 'orderId');
  if (lines.length < 1 || lines.length > MAX_LINES) {
    throw new BadUserInputError(`a reservation has 1 to ${MAX_LINES} lines.`, 'lines');
  }
  const merged = new Map<string, number>();
  for (const line of lines) {
    if (!line.itemId.trim()) throw new BadUserInputError('menuItemId must not be empty.', 'menuItemId');
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_LINE_QUANTITY) {
      throw new BadUserInputError(`quantity must be 1 to ${MAX_LINE_QUANTITY}.`, 'quantity');
    }
    merged.set(line.itemId, (merged.get(line.itemId) ?? 0) + line.quantity);
  }
  return [...merged].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([itemId, quantity]) => ({ itemId, quantity }));
}

export function validateRestock(quantity: number): void {
  if (!Number.isInteger(quantity) || quantity < MIN_RESTOCK || quantity > MAX_RESTOCK) {
    throw new BadUserInputError(`quantity must be ${MIN_RESTOCK} to ${MAX_RESTOCK}.`, 'quantity');
  }
}
