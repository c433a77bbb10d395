import { randomUUID } from 'node:crypto';
import type { Logger, StationName } from '@brigade/platform';
import { BadUserInputError, ConflictError, UnreachableCaseError } from '@brigade/platform/problems';
import {
  normaliseLines,
  orderTotal,
  summarise,
  type LineRejection,
  type Order,
  type OrderLine,
  type PlaceOrderOutcome,
  type Rejection,
  type RequestedLine,
} from './order.js';
import { Deadline } from './deadline.js';
import {
  MenuUnavailableError,
  type ConfirmResult,
  type KeyClaim,
  type MenuPort,
  type NewOrder,
  type OrderStore,
  type ReserveResult,
  type StationPort,
} from './ports.js';
import { releaseAll } from './stationHolds.js';

/** A repeated idempotency key whose first request is still running after we waited for it. */
const IN_PROGRESS = 'The first order with this idempotency key is still being placed.';

export interface SagaFaults {
  /** Runs once every station has granted its hold, before any confirmation (crash-recovery tests). */
  afterReserve?: (orderId: string) => void | Promise<void>;
}

export interface PlaceOrderSagaOptions {
  store: OrderStore;
  menu: MenuPort;
  stations: StationPort;
  logger: Logger;
  /**
   * The whole placeOrder's budget, replays waiting for their first request included, when the caller sent
   * no deadline of its own; a caller's deadline (the gateway's) cuts it shorter. Past the caller's deadline
   * the client has been told the call failed, so nothing may be placed after it.
   */
  deadlineMs: number;
  /** How long before the caller's deadline the saga must have decided: the time its answer takes to arrive. */
  answerMarginMs: number;
  /** Each call's own bound, cut to what is left of the deadline. */
  menuTimeoutMs: number;
  stationTimeoutMs: number;
  faults?: SagaFaults;
}

export interface PlaceOrderRequest {
  readonly customerId: string;
  readonly lines: readonly RequestedLine[];
  readonly idempotencyKey?: string | null;
  readonly requestId: string;
  /** When the caller stops waiting (epoch milliseconds), if it said. */
  readonly deadline?: number;
}

/**
 * placeOrder as a saga coordinated by orders. The single decision point is the conditional update of
 * the order row out of PENDING: the saga moves it to PLACED only after every station confirmed, and
 * whoever compensates (this saga or the recovery sweeper) first moves it to REJECTED, and only then
 * releases. So a slow saga and the sweeper can never both win, and stock is only given back by the one
 * that rejected the order.
 */
export class PlaceOrderSaga {
  /** Compensating releases in flight: a saga out of time answers before they end; shutdown waits for them. */
  private readonly releases = new Set<Promise<void>>();

  constructor(private readonly options: PlaceOrderSagaOptions) {}

  async place(request: PlaceOrderRequest): Promise<PlaceOrderOutcome> {
    const { store, menu } = this.options;
    const deadline = Deadline.forRequest(this.options.deadlineMs, request.deadline, this.options.answerMarginMs);
    const lines = normaliseLines(request.lines, request.idempotencyKey);
    const key = request.idempotencyKey ?? null;
    const id = randomUUID();
    if (key !== null) {
      // The key is claimed before anything else, so a concurrent or later attempt finds this one and answers
      // its outcome (waiting for it), and replays answer from orders' own rows while menu is down.
      const earlier = await this.claim({ id, customerId: request.customerId, idempotencyKey: key }, deadline);
      if (earlier) return earlier;
    }
    let priced: OrderLine[];
    let currency: string;
    let totalCents: number;
    try {
      if (deadline.passed()) throw new MenuUnavailableError('the order deadline passed before the menu lookup');
      const items = await menu.lookup(
        lines.map((l) => l.menuItemId),
        request.requestId,
        deadline.cap(this.options.menuTimeoutMs),
      );
      const unknown: LineRejection[] = lines.flatMap((l, i) =>
        items[i] ? [] : [{ menuItemId: l.menuItemId, reason: 'UNKNOWN_ITEM' as const, available: null }],
      );
      if (unknown.length) {
        const rejection = summarise(unknown);
        // Recorded for a claimed key, so its replays answer the same; nothing was reserved.
        if (key !== null) await store.markRejected(id, rejection, true);
        return { kind: 'rejected', rejection };
      }
      priced = lines.map((l, i) => {
        const item = items[i]!;
        return {
          menuItemId: l.menuItemId,
          station: item.station,
          quantity: l.quantity,
          unitPriceCents: item.priceCents,
          currency: item.currency,
          name: item.name,
        };
      });
      currency = priced[0]!.currency;
      if (priced.some((l) => l.currency !== currency)) {
        throw new BadUserInputError('All items of one order must be priced in the same currency.', 'lines');
      }
      totalCents = orderTotal(priced);
    } catch (error) {
      // Nothing was ordered: the key is free for a retry.
      if (key !== null) await store.dropClaim(id);
      throw error;
    }
    const order: NewOrder = {
      id,
      customerId: request.customerId,
      idempotencyKey: key,
      lines: priced,
      totalCents,
      currency,
    };
    const pending = key !== null ? await store.fillClaim(order) : await store.insertPending(order);
    if (!pending) {
      // Only a claim can be taken away (by the sweeper, after its grace): its verdict stands.
      const now = await store.get(id);
      if (!now) throw new Error('a claimed order vanished');
      return this.outcomeOf(now, deadline);
    }
    return this.run(pending, priced, request.requestId, deadline);
  }

  /**
   * Claims `claim`'s key, or answers the outcome of the attempt that holds it — waiting while that one is in
   * flight. Undefined when this attempt holds the claim. An attempt that gave its claim up (it ordered
   * nothing) frees the key, and this one claims it in turn.
   */
  private async claim(claim: KeyClaim, deadline: Deadline): Promise<PlaceOrderOutcome | undefined> {
    const { store } = this.options;
    for (;;) {
      if (deadline.passed()) throw new ConflictError(IN_PROGRESS);
      if (await store.claimKey(claim)) return undefined;
      const first = await store.findByKey(claim.customerId, claim.idempotencyKey);
      if (!first) continue;
      const outcome = await this.settled(first, deadline);
      if (outcome) return outcome;
    }
  }

  /** Resolves once no release started by a finished saga is still running (shutdown waits for it). */
  async idle(): Promise<void> {
    await Promise.all(this.releases);
  }

  private async run(order: Order, lines: readonly OrderLine[], requestId: string, deadline: Deadline): Promise<PlaceOrderOutcome> {
    const { store, stations, faults, logger, stationTimeoutMs } = this.options;
    const byStation = groupByStation(lines);
    const involved = [...byStation.keys()];
    const unavailable = (station: StationName) =>
      byStation.get(station)!.map((l) => ({ menuItemId: l.menuItemId, reason: 'STATION_UNAVAILABLE' as const, available: null }));
    const outOfTime = { kind: 'failed', cause: 'the order deadline passed' } as const;
    const reserved = await Promise.all(
      involved.map(async (station): Promise<readonly [StationName, ReserveResult]> => {
        if (deadline.passed()) return [station, outOfTime];
        const stationLines = byStation.get(station)!.map((l) => ({ menuItemId: l.menuItemId, quantity: l.quantity }));
        return [station, await stations.reserve(station, order.id, stationLines, requestId, deadline.cap(stationTimeoutMs))];
      }),
    );
    if (reserved.every(([, r]) => r.kind === 'held')) {
      await faults?.afterReserve?.(order.id);
      const confirmed = await Promise.all(
        involved.map(async (station): Promise<readonly [StationName, ConfirmResult]> => {
          if (deadline.passed()) return [station, outOfTime];
          return [station, await stations.confirm(station, order.id, requestId, deadline.cap(stationTimeoutMs))];
        }),
      );
      const lost = confirmed.filter(([, c]) => c.kind !== 'confirmed');
      // The decision is conditional on the deadline, checked by the database as it commits: past it the
      // gateway has already answered the client with an error, so placing now would take stock for an order
      // its customer believes failed — however long this process was paused before the commit.
      if (lost.length === 0 && !deadline.passed()) {
        const placed = await store.markPlaced(order.id, new Date(deadline.at));
        if (placed) return { kind: 'placed', order: placed };
        const now = (await store.get(order.id))!;
        // Still PENDING: the deadline passed before the commit, so it withdraws like a late confirmation.
        // Anything else: the sweeper judged this saga dead and compensated it; its verdict stands.
        if (now.status !== 'PENDING') return this.outcomeOf(now, deadline);
      }
      if (lost.length === 0) {
        logger.warn({ orderId: order.id }, 'every station confirmed, but after the order deadline: withdrawing it');
        return this.compensate(order.id, summarise(involved.flatMap(unavailable)), involved, requestId, deadline);
      }
      for (const [station, c] of lost) logger.warn({ orderId: order.id, station, result: c }, 'confirmation lost');
      // A hold that expired (or a confirmation that ran out of time) is not a stock shortage but our own
      // slowness or a station restart: report the station as unavailable, and give back what others
      // confirmed (a release undoes a confirmation too).
      return this.compensate(order.id, summarise(lost.flatMap(([station]) => unavailable(station))), involved, requestId, deadline);
    }
    const rejection = summarise(reserved.flatMap(([station, r]) => lineRejections(byStation.get(station)!, r)));
    // A refusal reserves nothing and is not recorded, so only stations that may hold something (granted,
    // or unanswered — a late reserve is then refused by the release's tombstone) need a release.
    const toRelease = reserved.filter(([, r]) => r.kind === 'held' || r.kind === 'failed').map(([s]) => s);
    for (const [station, r] of reserved) {
      if (r.kind === 'failed') logger.warn({ orderId: order.id, station, cause: r.cause }, 'reservation failed');
    }
    return this.compensate(order.id, rejection, toRelease, requestId, deadline);
  }

  /**
   * Rejects the order (the decision), then releases. The answer waits for the releases only while the
   * deadline lasts: past it the client must hear the rejection before the gateway gives up, so the
   * releases finish in the background (each still bounded by the station timeout; one that fails is
   * retried by the sweeper, as `stock_returned_at` stays unset).
   */
  private async compensate(
    orderId: string,
    rejection: Rejection,
    toRelease: readonly StationName[],
    requestId: string,
    deadline: Deadline,
  ): Promise<PlaceOrderOutcome> {
    const { store, logger } = this.options;
    if (!(await store.markRejected(orderId, rejection, toRelease.length === 0))) {
      return this.outcomeOf((await store.get(orderId))!, deadline);
    }
    if (toRelease.length === 0) return { kind: 'rejected', rejection };
    const releasing = releaseAll(this.options, orderId, toRelease, requestId).then(
      () => undefined,
      (error: unknown) => logger.warn({ orderId, err: error }, 'release bookkeeping failed; the sweeper will retry'),
    );
    this.releases.add(releasing);
    void releasing.finally(() => this.releases.delete(releasing));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([releasing, new Promise((resolve) => (timer = setTimeout(resolve, deadline.remainingMs())))]);
    clearTimeout(timer);
    return { kind: 'rejected', rejection };
  }

  /** The outcome of an existing order, waiting (within the deadline) while its saga is still running. */
  private async outcomeOf(first: Order, deadline: Deadline): Promise<PlaceOrderOutcome> {
    const outcome = await this.settled(first, deadline);
    if (!outcome) throw new Error(`order ${first.id} vanished while its outcome was awaited`);
    return outcome;
  }

  /**
   * The outcome of an order once it left PENDING, polling within the deadline; undefined if the order is gone
   * (a claim given up). A PENDING order past the deadline is a CONFLICT: the client retries later.
   */
  private async settled(first: Order, deadline: Deadline): Promise<PlaceOrderOutcome | undefined> {
    let order: Order | undefined = first;
    while (order.status === 'PENDING') {
      if (deadline.passed()) throw new ConflictError(IN_PROGRESS);
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, deadline.remainingMs())));
      order = await this.options.store.get(order.id);
      if (!order) return undefined;
    }
    if (order.status === 'REJECTED') {
      return { kind: 'rejected', rejection: order.rejection ?? summarise([]) };
    }
    // The order as it is now: a replay after a cancellation answers it CANCELLED.
    return { kind: 'placed', order };
  }
}

function groupByStation(lines: readonly OrderLine[]): Map<StationName, OrderLine[]> {
  const groups = new Map<StationName, OrderLine[]>();
  for (const line of lines) {
    const group = groups.get(line.station);
    if (group) group.push(line);
    else groups.set(line.station, [line]);
  }
  return groups;
}

function lineRejections(lines: readonly OrderLine[], result: ReserveResult): LineRejection[] {
  switch (result.kind) {
    case 'held':
      return [];
    case 'refused': {
      const available = new Map(result.lines.map((l) => [l.menuItemId, l.available]));
      const short = lines.filter((l) => (available.get(l.menuItemId) ?? 0) < l.quantity);
      // A refusal always has a short line; if the station's view changed in between, blame every line.
      return (short.length ? short : lines).map((l) => ({
        menuItemId: l.menuItemId,
        reason: 'OUT_OF_STOCK' as const,
        available: available.get(l.menuItemId) ?? 0,
      }));
    }
    case 'released':
    case 'failed':
      return lines.map((l) => ({ menuItemId: l.menuItemId, reason: 'STATION_UNAVAILABLE' as const, available: null }));
    default:
      throw new UnreachableCaseError(result);
  }
}
