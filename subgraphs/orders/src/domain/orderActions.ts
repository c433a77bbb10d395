import type { Logger } from '@brigade/platform';
import { BadUserInputError, ForbiddenError, NotFoundError, UnreachableCaseError } from '@brigade/platform/problems';
import type { Order } from './order.js';
import type { OrderStore, StationPort } from './ports.js';
import { releaseAll, stationsOf } from './stationHolds.js';
import { cancelDecision, isVisible, nextStatus, type OrderStatus } from './status.js';

export interface Actor {
  readonly userId: string;
  readonly isStaff: boolean;
}

export interface OrderActionDeps {
  store: OrderStore;
  stations: StationPort;
  logger: Logger;
}

async function visibleOrder(store: OrderStore, id: string): Promise<Order> {
  const order = await store.get(id);
  if (!order || !isVisible(order.status)) throw new NotFoundError('No such order.');
  return order;
}

/**
 * Cancels by a conditional update, so of two concurrent cancels exactly one changes the row and returns
 * the stock; the other sees CANCELLED — and answers the order if the same caller cancelled it. If a station is down the release is left owed (stock_returned_at
 * stays NULL) and the sweeper completes it.
 */
export async function cancelOrder(deps: OrderActionDeps, actor: Actor, id: string, requestId: string): Promise<Order> {
  let order = await visibleOrder(deps.store, id);
  const isOwner = order.customerId === actor.userId;
  for (;;) {
    const decision = cancelDecision(order.status, { isOwner, isStaff: actor.isStaff, cancelledIt: order.cancelledBy === actor.userId });
    switch (decision.kind) {
      case 'forbidden':
        throw new ForbiddenError('Not allowed to change this order.');
      case 'invalid':
        throw new BadUserInputError(decision.message);
      case 'done':
        return order;
      case 'allowed': {
        const cancelled = await deps.store.cancel(id, decision.from, actor.userId);
        if (cancelled) {
          await releaseAll(deps, id, stationsOf(await deps.store.linesOf(id)), requestId);
          return cancelled;
        }
        // Someone else moved the order in between (or this caller's concurrent cancel won): judge again.
        order = await visibleOrder(deps.store, id);
        break;
      }
      default:
        throw new UnreachableCaseError(decision);
    }
  }
}

/** Staff only (enforced by the schema); one step forward at a time. */
export async function advanceOrder(deps: OrderActionDeps, id: string, to: OrderStatus): Promise<Order> {
  const order = await visibleOrder(deps.store, id);
  const next = nextStatus(order.status);
  if (next !== to) {
    throw new BadUserInputError(
      next ? `An order that is ${order.status} can only advance to ${next}.` : `An order that is ${order.status} cannot advance.`,
    );
  }
  const advanced = await deps.store.transition(id, [order.status], to);
  if (!advanced) throw new BadUserInputError('The order changed in the meantime; read it again.');
  return advanced;
}
