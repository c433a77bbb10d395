/** The app's small rules, kept free of React so they are tested alone. */
import type { OrderStatus } from './graphql/generated.js';
import { UnreachableCaseError } from './unreachable.js';

/** The status Advance moves an order to; null when it is done (SERVED, CANCELLED). */
export function nextStatus(status: OrderStatus): OrderStatus | null {
  switch (status) {
    case 'PLACED':
      return 'PREPARING';
    case 'PREPARING':
      return 'READY';
    case 'READY':
      return 'SERVED';
    case 'SERVED':
    case 'CANCELLED':
      return null;
    default:
      throw new UnreachableCaseError(status);
  }
}

/** "3.50" → 350; null when it is not a price. */
export function parsePrice(text: string): number | null {
  const match = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '0').padEnd(2, '0'));
}
