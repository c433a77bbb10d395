import type { StationName } from '@brigade/platform';
import { ServiceUnavailableError } from '@brigade/platform/problems';
import type { Order, OrderLine, Rejection } from './order.js';
import type { OrderStatus } from './status.js';

/** What the saga needs to know of a menu item; captured into the order at placement. */
export interface MenuItemInfo {
  readonly id: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly station: StationName;
}

/** Thrown by a MenuPort when the menu cannot answer (down, slow, erroring); `detail` says why, to the logs only. */
export class MenuUnavailableError extends ServiceUnavailableError {
  constructor(detail: string) {
    super('The menu cannot be read right now; nothing was ordered. Try again shortly.', { cause: detail });
  }
}

export interface MenuPort {
  /** In the order asked; null for ids the menu does not know. Gives up after `timeoutMs`. */
  lookup(ids: readonly string[], requestId: string, timeoutMs: number): Promise<(MenuItemInfo | null)[]>;
}

export interface StockLine {
  readonly menuItemId: string;
  readonly quantity: number;
}

/** A station's answer to a reservation, with every transport failure folded into `failed`. */
export type ReserveResult =
  | { readonly kind: 'held' }
  | { readonly kind: 'refused'; readonly lines: readonly (StockLine & { readonly available: number })[] }
  /** A tombstone exists for the order: it was released (by a compensation) before this reserve arrived. */
  | { readonly kind: 'released' }
  | { readonly kind: 'failed'; readonly cause: string };

export type ConfirmResult =
  | { readonly kind: 'confirmed' }
  /** The hold expired or was released before the confirmation: the stock is no longer ours. */
  | { readonly kind: 'released' }
  | { readonly kind: 'failed'; readonly cause: string };

/** `timeoutMs` bounds one call (the saga's share of its deadline); a call that runs out is `failed`. */
export interface StationPort {
  reserve(station: StationName, orderId: string, lines: readonly StockLine[], requestId: string, timeoutMs: number): Promise<ReserveResult>;
  confirm(station: StationName, orderId: string, requestId: string, timeoutMs: number): Promise<ConfirmResult>;
  /** Idempotent; throws when the station cannot be reached (the sweeper tries again later). */
  release(station: StationName, orderId: string, requestId: string): Promise<void>;
}

export interface NewOrder {
  readonly id: string;
  readonly customerId: string;
  readonly idempotencyKey: string | null;
  readonly lines: readonly OrderLine[];
  readonly totalCents: number;
  readonly currency: string;
}

export interface KeyClaim {
  readonly id: string;
  readonly customerId: string;
  readonly idempotencyKey: string;
}

export interface OrderStore {
  get(id: string): Promise<Order | undefined>;
  findByKey(customerId: string, idempotencyKey: string): Promise<Order | undefined>;
  /** Inserts the order PENDING with its lines; undefined when the customer already used the key. */
  insertPending(order: NewOrder): Promise<Order | undefined>;
  /**
   * Claims an idempotency key before any other work: inserts the order PENDING without lines. False when the
   * customer already used the key (another attempt's claim or order stands).
   */
  claimKey(claim: KeyClaim): Promise<boolean>;
  /** Completes a claim with its priced lines; undefined if it is no longer PENDING (the sweeper took it over). */
  fillClaim(order: NewOrder): Promise<Order | undefined>;
  /** Gives a claim up (nothing was ordered), freeing its key; a claim with lines is never dropped. */
  dropClaim(id: string): Promise<void>;
  /** Conditional cancellation, only from one of `from`, recording who cancelled. */
  cancel(id: string, from: readonly OrderStatus[], by: string): Promise<Order | undefined>;
  /**
   * PENDING → PLACED, only if the database commits it before `decideBy`; undefined if the order is no longer
   * PENDING (the sweeper took it over) or `decideBy` has passed.
   */
  markPlaced(id: string, decideBy: Date): Promise<Order | undefined>;
  /** PENDING → REJECTED; false if it was no longer PENDING. */
  markRejected(id: string, rejection: Rejection, stockReturned: boolean): Promise<boolean>;
  markStockReturned(id: string): Promise<void>;
  /** Conditional status change: only from one of `from`; undefined when the order was in another status. */
  transition(id: string, from: readonly OrderStatus[], to: OrderStatus): Promise<Order | undefined>;
  linesOf(id: string): Promise<OrderLine[]>;
  /** PENDING orders untouched for `olderThanMs`: sagas whose coordinator died. */
  stalePending(olderThanMs: number, limit: number): Promise<Order[]>;
  /** REJECTED/CANCELLED orders whose stations have not all confirmed the release yet. */
  releaseOwed(olderThanMs: number, limit: number): Promise<Order[]>;
}
