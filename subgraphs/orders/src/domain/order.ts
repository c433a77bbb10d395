import type { StationName } from '@brigade/platform';
import { BadUserInputError } from '@brigade/platform/problems';
import type { OrderStatus } from './status.js';

export interface OrderLine {
  readonly menuItemId: string;
  readonly station: StationName;
  readonly quantity: number;
  readonly unitPriceCents: number;
  readonly currency: string;
  /** The item's name when it was ordered. */
  readonly name: string;
}

export interface Order {
  readonly id: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly totalCents: number;
  readonly currency: string;
  readonly rejection: Rejection | null;
  /** Who cancelled a CANCELLED order (a user id). */
  readonly cancelledBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** 1 when placed, +1 on every later change: clients drop an event older than what they have. */
  readonly version: number;
}

export type RejectionReason = 'OUT_OF_STOCK' | 'UNKNOWN_ITEM' | 'STATION_UNAVAILABLE';

export interface LineRejection {
  readonly menuItemId: string;
  readonly reason: RejectionReason;
  readonly available: number | null;
}

export interface Rejection {
  readonly reason: RejectionReason;
  readonly message: string;
  readonly lines: readonly LineRejection[];
}

export type PlaceOrderOutcome =
  { readonly kind: 'placed'; readonly order: Order } | { readonly kind: 'rejected'; readonly rejection: Rejection };

export interface RequestedLine {
  readonly menuItemId: string;
  readonly quantity: number;
}

export const MAX_LINES = 50;
export const MAX_QUANTITY = 50;
export const MAX_IDEMPOTENCY_KEY = 200;
/** Amounts are GraphQL `Int`s and stored as `integer`: neither holds more than a signed 32-bit value. */
export const MAX_AMOUNT_CENTS = 2_147_483_647;

/**
 * Checks the request and merges repeated items (their quantities add up, and the merged quantity must
 * still be within bounds: 30 + 30 of one item is an order for 60).
 */
export function normaliseLines(lines: readonly RequestedLine[], idempotencyKey?: string | null): RequestedLine[] {
  if (lines.length === 0) throw new BadUserInputError('An order needs at least one line.', 'lines');
  if (lines.length > MAX_LINES) throw new BadUserInputError(`An order has at most ${MAX_LINES} lines.`, 'lines');
  if (idempotencyKey != null && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
    throw new BadUserInputError(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY} characters.`, 'idempotencyKey');
  }
  const merged = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_QUANTITY) {
      throw new BadUserInputError(`quantity must be 1 to ${MAX_QUANTITY}.`, `lines.${i}.quantity`);
    }
    if (line.menuItemId.length === 0 || line.menuItemId.length > 100) {
      throw new BadUserInputError('menuItemId is not a valid id.', `lines.${i}.menuItemId`);
    }
    merged.set(line.menuItemId, (merged.get(line.menuItemId) ?? 0) + line.quantity);
  }
  const result = [...merged].map(([menuItemId, quantity]) => ({ menuItemId, quantity }));
  for (const line of result) {
    if (line.quantity > MAX_QUANTITY) {
      throw new BadUserInputError(`quantity of one item must be 1 to ${MAX_QUANTITY} in total.`, 'lines');
    }
  }
  return result;
}

/**
 * The order's total in cents, refusing a line subtotal or total that `Money.amount` (and the column)
 * cannot hold: 50 lines × 50 of a 1,000,000-cent item would otherwise fail as an unexplained server error.
 */
export function orderTotal(lines: readonly Pick<OrderLine, 'quantity' | 'unitPriceCents'>[]): number {
  let total = 0;
  for (const line of lines) {
    const subtotal = line.quantity * line.unitPriceCents;
    total += subtotal;
    if (subtotal > MAX_AMOUNT_CENTS || total > MAX_AMOUNT_CENTS) {
      throw new BadUserInputError(`An order's total must not exceed ${MAX_AMOUNT_CENTS} cents.`, 'lines');
    }
  }
  return total;
}

const SEVERITY: Record<RejectionReason, number> = { STATION_UNAVAILABLE: 3, UNKNOWN_ITEM: 2, OUT_OF_STOCK: 1 };

/** One rejection from per-line reasons: the overall reason is the most severe one. */
export function summarise(lines: readonly LineRejection[]): Rejection {
  const reason = lines.reduce<RejectionReason>((worst, l) => (SEVERITY[l.reason] > SEVERITY[worst] ? l.reason : worst), 'OUT_OF_STOCK');
  const count = (r: RejectionReason) => lines.filter((l) => l.reason === r).length;
  const parts: string[] = [];
  if (count('STATION_UNAVAILABLE'))
    parts.push(`${count('STATION_UNAVAILABLE')} item(s) cannot be prepared right now (a station is unavailable)`);
  if (count('UNKNOWN_ITEM')) parts.push(`${count('UNKNOWN_ITEM')} item(s) are not on the menu`);
  if (count('OUT_OF_STOCK')) parts.push(`${count('OUT_OF_STOCK')} item(s) are out of stock`);
  return { reason, message: `The order was not placed: ${parts.join('; ')}. Nothing was reserved.`, lines };
}
