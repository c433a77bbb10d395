import { parseEnv, type Env } from '@brigade/platform';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { CorsOptions } from './cors.js';
import type { OperationLimitsOptions } from './operationLimits.js';
import type { PersistedOperationsOptions } from './persistedOperations.js';
import type { RateLimitOptions } from './rateLimit.js';

/**
 * The gateway's protection settings. Every knob has a default; production mode only changes the defaults
 * (suggestions hidden, limits not revealed, rate limiting and the safelist on), so each stays settable.
 */
export interface ProtectionConfig {
  readonly limits: Required<Omit<OperationLimitsOptions, 'onReject'>>;
  readonly rateLimit: Omit<RateLimitOptions, 'redis' | 'onReject'> & { readonly enabled: boolean };
  readonly cors: CorsOptions;
  readonly persisted: Omit<PersistedOperationsOptions, 'manifest'> & {
    /** `PERSISTED_OPERATIONS`: path of an Apollo persisted query manifest; unset = no safelist. */
    readonly manifestPath?: string;
    /** `APQ`: Automatic Persisted Queries (default on). */
    readonly apq: boolean;
    /** `APQ_TTL_S`: how long a registered query is kept in Redis (default 86400 s; memory cache is LRU). */
    readonly apqTtlSeconds: number;
  };
  /** `REDIS_URL`: shared rate-limit budgets and APQ cache across replicas; unset = in memory. */
  readonly redisUrl?: string;
  /** `REDIS_KEY_PREFIX` (default `brigade:`): namespaces every key this gateway writes. */
  readonly redisKeyPrefix: string;
  /** `HIDE_SUGGESTIONS` (default: production): drop "Did you mean …" from validation errors. */
  readonly hideSuggestions: boolean;
}

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v))
  .optional();
const int = (min: number) => z.coerce.number().int().min(min).optional();

const schema = z.object({
  MAX_DEPTH: int(1),
  MAX_ALIASES: int(0),
  MAX_ROOT_FIELDS: int(1),
  MAX_DIRECTIVES: int(0),
  MAX_TOKENS: int(10),
  MAX_COST: int(1),
  COST_DEFAULT_LIST_SIZE: int(1),
  MAX_LIST_INPUT: int(1),
  MAX_VALIDATION_ERRORS: int(1),
  EXPOSE_LIMITS: flag,
  HIDE_SUGGESTIONS: flag,
  RATE_LIMIT: flag,
  RATE_LIMIT_WINDOW_S: int(1),
  RATE_LIMIT_IP: int(1),
  RATE_LIMIT_USER: int(1),
  RATE_LIMIT_AUTH_FIELDS: int(1),
  TRUST_PROXY: flag,
  CORS_ORIGINS: z.string().optional(),
  APQ: flag,
  APQ_TTL_S: int(1),
  PERSISTED_OPERATIONS: z.string().min(1).optional(),
  PERSISTED_OPERATIONS_SAFELIST: flag,
  REDIS_URL: z.string().url().optional(),
  REDIS_KEY_PREFIX: z.string().default('brigade:'),
});

/**
 * Apollo Sandbox and the local gateway itself, so the development schema stays explorable from a browser,
 * and the web app as `npm start` serves it (WEB_PORT 4100).
 */
export const DEVELOPMENT_CORS_ORIGINS = [
  'https://studio.apollographql.com',
  'http://localhost:4000',
  'http://localhost:4100',
  'http://127.0.0.1:4100',
];

export function loadProtectionConfig(env: Env, production: boolean): ProtectionConfig {
  const own = parseEnv(schema, env);
  const origins = own.CORS_ORIGINS?.split(',').map((o) => o.trim()).filter(Boolean);
  return {
    limits: {
      maxDepth: own.MAX_DEPTH ?? 12,
      maxAliases: own.MAX_ALIASES ?? 30,
      maxRootFields: own.MAX_ROOT_FIELDS ?? 20,
      maxDirectives: own.MAX_DIRECTIVES ?? 50,
      maxTokens: own.MAX_TOKENS ?? 2_000,
      maxCost: own.MAX_COST ?? 5_000,
      defaultListSize: own.COST_DEFAULT_LIST_SIZE ?? 10,
      maxListInput: own.MAX_LIST_INPUT ?? 100,
      maxValidationErrors: own.MAX_VALIDATION_ERRORS ?? 5,
      exposeLimits: own.EXPOSE_LIMITS ?? !production,
    },
    rateLimit: {
      enabled: own.RATE_LIMIT ?? production,
      windowSeconds: own.RATE_LIMIT_WINDOW_S ?? 60,
      perIp: own.RATE_LIMIT_IP ?? 300,
      perUser: own.RATE_LIMIT_USER ?? 600,
      perAuthField: own.RATE_LIMIT_AUTH_FIELDS ?? 10,
      trustProxy: own.TRUST_PROXY ?? false,
    },
    cors: { origins: origins ?? (production ? [] : DEVELOPMENT_CORS_ORIGINS) },
    persisted: {
      apq: own.APQ ?? true,
      apqTtlSeconds: own.APQ_TTL_S ?? 86_400,
      ...(own.PERSISTED_OPERATIONS ? { manifestPath: resolve(own.PERSISTED_OPERATIONS) } : {}),
      enforce: own.PERSISTED_OPERATIONS_SAFELIST ?? production,
    },
    ...(own.REDIS_URL ? { redisUrl: own.REDIS_URL } : {}),
    redisKeyPrefix: own.REDIS_KEY_PREFIX,
    hideSuggestions: own.HIDE_SUGGESTIONS ?? production,
  };
}
