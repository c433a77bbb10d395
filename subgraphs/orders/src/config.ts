import { loadServiceConfig, parseEnv, subgraphUrl, type Env, type ServiceConfig } from '@brigade/platform/config';
import { STATIONS, type StationName } from '@brigade/platform/services';
import { z } from 'zod';

/** Deliberate failures for crash-recovery tests; never set in production. */
export type OrdersFault = 'exit-after-reserve';

export interface OrdersConfig extends ServiceConfig {
  readonly menuUrl: string;
  readonly stationUrls: Readonly<Record<StationName, string>>;
  /** Per station call (reserve, confirm, release). */
  readonly stationTimeoutMs: number;
  readonly menuTimeoutMs: number;
  /**
   * The budget of one placeOrder (menu lookup, reserves, confirms, a replay's wait), counted from when orders
   * starts on it. The gateway's deadline (sent with every call, counted from when it sent the call) cuts it
   * shorter, so a request that waited unread — orders paused or queued — gets only what the gateway still waits.
   */
  readonly deadlineMs: number;
  /**
   * How long before the caller's deadline (the gateway's, sent with each call) a placeOrder must have
   * decided: the time its answer needs to reach the gateway.
   */
  readonly answerMarginMs: number;
  /** How often the sweeper finishes abandoned sagas and owed releases. */
  readonly recoveryIntervalMs: number;
  /**
   * How old an unfinished saga must be before the sweeper takes it over. Longer than a live saga can
   * stay PENDING (it leaves PENDING right after its deadline), so the sweeper never races one.
   */
  readonly recoveryGraceMs: number;
  /** Releases the sweeper has in flight at once per station: a hung station ties up only its own. */
  readonly recoveryConcurrency: number;
  /** A recovery pass starts no release after this long; what it leaves is owed to the next pass. */
  readonly recoveryPassMs: number;
  readonly fault?: OrdersFault;
}

const ms = z.coerce.number().int().min(1).max(600_000);
const ordersSchema = z.object({
  STATION_TIMEOUT_MS: ms.default(2_000),
  MENU_TIMEOUT_MS: ms.default(2_000),
  ORDERS_DEADLINE_MS: ms.default(4_000),
  ORDERS_ANSWER_MARGIN_MS: z.coerce.number().int().min(0).max(60_000).default(250),
  ORDERS_RECOVERY_INTERVAL_MS: ms.default(10_000),
  ORDERS_RECOVERY_GRACE_MS: ms.optional(),
  ORDERS_RECOVERY_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  ORDERS_RECOVERY_PASS_MS: ms.optional(),
  ORDERS_FAULT: z.enum(['exit-after-reserve']).optional(),
});

export async function loadConfig(env: Env): Promise<OrdersConfig> {
  const base = await loadServiceConfig('orders', env);
  const own = parseEnv(ordersSchema, env);
  if (own.ORDERS_FAULT && base.production) {
    throw new Error('invalid configuration:\n  ORDERS_FAULT is for tests and is refused in production');
  }
  return {
    ...base,
    menuUrl: subgraphUrl(env, 'menu'),
    stationUrls: Object.fromEntries(STATIONS.map((s) => [s, subgraphUrl(env, s)])) as Record<StationName, string>,
    stationTimeoutMs: own.STATION_TIMEOUT_MS,
    menuTimeoutMs: own.MENU_TIMEOUT_MS,
    deadlineMs: own.ORDERS_DEADLINE_MS,
    answerMarginMs: own.ORDERS_ANSWER_MARGIN_MS,
    recoveryIntervalMs: own.ORDERS_RECOVERY_INTERVAL_MS,
    recoveryGraceMs: own.ORDERS_RECOVERY_GRACE_MS ?? 2 * own.ORDERS_DEADLINE_MS + 2_000,
    recoveryConcurrency: own.ORDERS_RECOVERY_CONCURRENCY,
    recoveryPassMs: own.ORDERS_RECOVERY_PASS_MS ?? Math.max(own.ORDERS_RECOVERY_INTERVAL_MS, own.STATION_TIMEOUT_MS),
    fault: own.ORDERS_FAULT,
  };
}
