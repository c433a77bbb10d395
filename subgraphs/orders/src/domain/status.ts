import { UnreachableCaseError } from '@brigade/platform/problems';

/**
 * An order's life. PENDING and REJECTED are internal: a saga in progress and a refused attempt, kept
 * for idempotent replays and recovery but never shown to clients (the public OrderStatus lacks them).
 */
export type OrderStatus = 'PENDING' | 'PLACED' | 'PREPARING' | 'READY' | 'SERVED' | 'CANCELLED' | 'REJECTED';
export type VisibleStatus = Exclude<OrderStatus, 'PENDING' | 'REJECTED'>;

export const VISIBLE_STATUSES: readonly VisibleStatus[] = ['PLACED', 'PREPARING', 'READY', 'SERVED', 'CANCELLED'];

export function isVisible(status: OrderStatus): status is VisibleStatus {
  switch (status) {
    case 'PLACED':
    case 'PREPARING':
    case 'READY':
    case 'SERVED':
    case 'CANCELLED':
      return true;
    case 'PENDING':
    case 'REJECTED':
      return false;
    default:
      throw new UnreachableCaseError(status);
  }
}

/** The one status advanceOrder may move to from `status`, if any. */
export function nextStatus(status: OrderStatus): VisibleStatus | undefined {
  switch (status) {
    case 'PLACED':
      return 'PREPARING';
    case 'PREPARING':
      return 'READY';
    case 'READY':
      return 'SERVED';
    case 'SERVED':
    case 'CANCELLED':
    case 'PENDING':
    case 'REJECTED':
      return undefined;
    default:
      throw new UnreachableCaseError(status);
  }
}

export type CancelDecision =
  | { readonly kind: 'allowed'; readonly from: readonly OrderStatus[] }
  /** Already cancelled by this very caller: a repeated cancel answers the order as it is. */
  | { readonly kind: 'done' }
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'invalid'; readonly message: string };

/**
 * Who may cancel when: the owner while PLACED, staff until it is served. `from` is what the conditional
 * UPDATE accepts, so two concurrent cancels cannot both succeed. Cancelling is idempotent for the caller
 * who cancelled (`cancelledIt`): a retry of a cancel that was applied but whose answer was lost is `done`.
 */
export function cancelDecision(status: OrderStatus, actor: { isOwner: boolean; isStaff: boolean; cancelledIt?: boolean }): CancelDecision {
  if (!actor.isOwner && !actor.isStaff) return { kind: 'forbidden' };
  const from: OrderStatus[] = actor.isStaff ? ['PLACED', 'PREPARING', 'READY'] : ['PLACED'];
  switch (status) {
    case 'PLACED':
    case 'PREPARING':
    case 'READY':
      return from.includes(status)
        ? { kind: 'allowed', from }
        : { kind: 'invalid', message: `An order that is ${status} can only be cancelled by staff.` };
    case 'SERVED':
      return { kind: 'invalid', message: 'A served order cannot be cancelled.' };
    case 'CANCELLED':
      return actor.cancelledIt ? { kind: 'done' } : { kind: 'invalid', message: 'The order is already cancelled.' };
    case 'PENDING':
    case 'REJECTED':
      return { kind: 'invalid', message: 'The order was never placed.' };
    default:
      throw new UnreachableCaseError(status);
  }
}
