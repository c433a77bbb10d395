// The holds an order has at the stations and giving them back, shared by the saga's compensation, a
// cancellation and the recovery sweeper.
import type { Logger, StationName } from '@brigade/platform';
import type { OrderLine } from './order.js';
import type { OrderStore, StationPort } from './ports.js';

/** The stations an order's lines hold stock at, each once. */
export function stationsOf(lines: readonly OrderLine[]): StationName[] {
  return [...new Set(lines.map((l) => l.station))];
}

/** Releases at every station; marks the stock returned only when all of them acknowledged. */
export async function releaseAll(
  deps: { store: OrderStore; stations: StationPort; logger: Logger },
  orderId: string,
  stations: readonly StationName[],
  requestId: string,
): Promise<boolean> {
  const results = await Promise.allSettled(stations.map((s) => deps.stations.release(s, orderId, requestId)));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [stations[i]] : []));
  if (failed.length) {
    deps.logger.warn({ orderId, stations: failed }, 'release failed; the sweeper will retry');
    return false;
  }
  await deps.store.markStockReturned(orderId);
  return true;
}
