import type { Logger, StationName } from '@brigade/platform';
import { summarise } from './order.js';
import type { OrderStore, StationPort } from './ports.js';
import { stationsOf } from './stationHolds.js';

const BATCH = 100;

export interface RecoverySweeperDeps {
  store: OrderStore;
  stations: StationPort;
  logger: Logger;
  graceMs: number;
  /** Releases in flight at once per station: a hung station ties up only its own. */
  concurrency: number;
  /** A pass starts no release after this long; what it leaves is owed to the next pass. */
  passBudgetMs: number;
}

/**
 * Finishes what crashed or failed coordinators left behind: a PENDING order older than any live saga can
 * be is compensated (REJECTED first — the conditional update that makes a still-running saga lose —
 * then released everywhere), and REJECTED/CANCELLED orders still owed a release are released again
 * (releases are idempotent at the stations). Unfinished orders are compensated rather than completed:
 * their client never saw OrderPlaced, and placing an order behind the customer's back would only invite
 * a duplicate order from a retry without an idempotency key.
 *
 * Releases go out per station, each station with its own queue and concurrency bound, so a hung station
 * delays only its own releases: the others' holds come back within a pass. A pass stops starting releases
 * once its time budget is spent (in-flight ones end within the station timeout), whatever the backlog.
 */
export class RecoverySweeper {
  private running?: Promise<void>;

  constructor(private readonly deps: RecoverySweeperDeps) {}

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
    const owed: { orderId: string; stations: StationName[] }[] = [];
    for (const order of await store.stalePending(graceMs, BATCH)) {
      const orderLines = await store.linesOf(order.id);
      if (orderLines.length === 0) {
        // A key claimed by an attempt that died before the menu priced it: nothing was ordered or held, so
        // the claim is given up and the key is free for the client's retry.
        await store.dropClaim(order.id);
        logger.warn({ orderId: order.id }, 'giving up an abandoned idempotency-key claim');
        continue;
      }
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
      if (!(await store.markRejected(order.id, rejection, stations.length === 0))) continue;
      logger.warn({ orderId: order.id, stations }, 'compensating an abandoned order');
      if (stations.length) owed.push({ orderId: order.id, stations });
    }
    for (const order of await store.releaseOwed(graceMs, BATCH)) {
      const stations = stationsOf(await store.linesOf(order.id));
      if (stations.length) owed.push({ orderId: order.id, stations });
      else await store.markStockReturned(order.id);
    }
    await this.releaseByStation(owed);
  }

  /**
   * Every owed release, station by station in parallel; an order's stock is returned once all its stations
   * acknowledged. The budget counts from the first release, and every worker starts at least one, so a pass
   * slowed down before its releases (a loaded database) still makes progress.
   */
  private async releaseByStation(owed: readonly { orderId: string; stations: StationName[] }[]): Promise<void> {
    const { store, stations, logger, concurrency } = this.deps;
    const stopStartingAt = Date.now() + this.deps.passBudgetMs;
    const left = new Map(owed.map((o) => [o.orderId, new Set(o.stations)]));
    const queues = new Map<StationName, string[]>();
    for (const o of owed) for (const s of o.stations) queues.set(s, [...(queues.get(s) ?? []), o.orderId]);
    const drain = async (station: StationName, orderIds: readonly string[]) => {
      let next = 0;
      const worker = async () => {
        for (let first = true; next < orderIds.length && (first || Date.now() < stopStartingAt); first = false) {
          const orderId = orderIds[next++]!;
          try {
            await stations.release(station, orderId, `recovery-${orderId}`);
          } catch (error) {
            logger.warn({ orderId, station, err: error }, 'release failed; the next pass retries');
            continue;
          }
          const pending = left.get(orderId)!;
          pending.delete(station);
          if (pending.size === 0) await store.markStockReturned(orderId);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, orderIds.length) }, worker));
    };
    await Promise.all([...queues].map(([station, orderIds]) => drain(station, orderIds)));
  }
}
