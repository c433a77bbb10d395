import type { Logger, StationName } from '@brigade/platform';
import { summarise, type OrderLine } from './order.js';
import { releaseAll } from './placeOrder.js';
import type { OrderStore, StationPort } from './ports.js';

const BATCH = 100;

/**
 * Finishes what crashed or failed coordinators left behind: a PENDING order older than any live saga can
 * be is compensated (REJECTED first — the conditional update that makes a still-running saga lose —
 * then released everywhere), and REJECTED/CANCELLED orders still owed a release are released again
 * (releases are idempotent at the stations). Unfinished orders are compensated rather than completed:
 * their client never saw OrderPlaced, and placing an order behind the customer's back would only invite
 * a duplicate order from a retry without an idempotency key.
 */
export class RecoverySweeper {
  private running?: Promise<void>;

  constructor(
    private readonly deps: { store: OrderStore; stations: StationPort; logger: Logger; graceMs: number },
  ) {}

  /** One pass; concurrent calls share the pass in progress. */
  sweep(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves once no pass is running (shutdown waits for it before closing the database). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<void> {
    const { store, logger, graceMs } = this.deps;
    for (const order of await store.stalePending(graceMs, BATCH)) {
      const orderLines = await store.linesOf(order.id);
      const stations = stationsOf(orderLines);
      const lines = orderLines.map((l) => ({
        menuItemId: l.menuItemId,
        reason: 'STATION_UNAVAILABLE' as const,
        available: null,
      }));
      const rejection = {
        ...summarise(lines),
        message: 'The order could not be completed in time and was withdrawn. Nothing was reserved.',
      };
      if (!(await store.markRejected(order.id, rejection, false))) continue;
      logger.warn({ orderId: order.id, stations }, 'compensating an abandoned order');
      await releaseAll(this.deps, order.id, stations, `recovery-${order.id}`);
    }
    for (const order of await store.releaseOwed(graceMs, BATCH)) {
      await releaseAll(this.deps, order.id, stationsOf(await store.linesOf(order.id)), `recovery-${order.id}`);
    }
  }
}

export function stationsOf(lines: readonly OrderLine[]): StationName[] {
  return [...new Set(lines.map((l) => l.station))];
}
