import { loadServiceConfig, parseEnv, subgraphUrl, type Env, type ServiceConfig } from '@brigade/platform/config';
import { STATIONS } from '@brigade/platform/services';
import { z } from 'zod';
import { STATION_PROFILES, type StationProfile } from './stations.js';

export interface StationConfig extends ServiceConfig {
  readonly profile: StationProfile;
  /** How long a HELD reservation waits for confirmation before the sweeper gives its stock back. */
  readonly reservationTtlMs: number;
  readonly sweepIntervalMs: number;
  /** Where the menu subgraph answers: restock asks it whether an id is one of this station's items. */
  readonly menuUrl: string;
  readonly menuTimeoutMs: number;
}

const stationSchema = z.object({
  STATION: z.enum(STATIONS),
  RESERVATION_TTL_MS: z.coerce.number().int().min(1).default(30_000),
  RESERVATION_SWEEP_MS: z.coerce.number().int().min(10).default(1_000),
  MENU_TIMEOUT_MS: z.coerce.number().int().min(1).default(2_000),
});

export async function loadConfig(env: Env): Promise<StationConfig> {
  const own = parseEnv(stationSchema, env);
  return {
    ...(await loadServiceConfig(own.STATION, env)),
    profile: STATION_PROFILES[own.STATION],
    reservationTtlMs: own.RESERVATION_TTL_MS,
    sweepIntervalMs: own.RESERVATION_SWEEP_MS,
    menuUrl: subgraphUrl(env, 'menu'),
    menuTimeoutMs: own.MENU_TIMEOUT_MS,
  };
}
