import { parseEnv, type Env } from '@brigade/platform';
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEVELOPMENT_CORS_ORIGINS, type CorsOptions } from './plugins/cors.js';
import { COST_DEFAULTS } from './plugins/cost.js';
import { LIST_INPUT_DEFAULTS } from './plugins/listInputs.js';
import { OPERATION_LIMIT_DEFAULTS } from './plugins/operationLimits.js';
import { PERSISTED_DEFAULTS, type PersistedOperationsOptions } from './plugins/persistedOperations.js';
import { QUERY_TEXT_DEFAULTS } from './plugins/queryText.js';
import { RATE_LIMIT_DEFAULTS, type RateLimitOptions } from './plugins/rateLimit.js';

export { DEVELOPMENT_CORS_ORIGINS };

/**
 * The gateway's protection settings, read from the environment. The defaults live with each plugin (its
 * `*_DEFAULTS`); production mode only changes which are on (suggestions hidden, limits not revealed, rate
 * limiting and the safelist on), so each stays settable.
 */
export interface ProtectionConfig {
  readonly limits: {
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxRootFields: number;
    readonly maxSelections: number;
    readonly maxDirectives: number;
    readonly maxTokens: number;
    readonly maxCost: number;
    readonly defaultListSize: number;
    readonly maxListInput: number;
    readonly maxValidationErrors: number;
    /** `MAX_QUERY_LENGTH`: characters of query text (plugins/queryText.ts). */
    readonly maxQueryLength: number;
    /** `EXPOSE_LIMITS` (default: not production): say which limit and its number in the error. */
    readonly exposeLimits: boolean;
  };
  readonly rateLimit: Omit<RateLimitOptions, 'redis' | 'onReject' | 'logger' | 'keyPrefix'> & {
    readonly enabled: boolean;
    /**
     * `TRUST_PROXY` (default false): take the client IP from the last `x-forwarded-for` entry (the address
     * our own proxy saw) instead of the socket. Only behind a proxy that sets it, or clients pick their IP.
     * Used for every per-IP budget and access-log line.
     */
    readonly trustProxy: boolean;
  };
  readonly cors: CorsOptions;
  readonly persisted: PersistedOperationsOptions;
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
  MAX_SELECTIONS: int(1),
  MAX_DIRECTIVES: int(0),
  MAX_TOKENS: int(10),
  MAX_QUERY_LENGTH: int(100),
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

export function loadProtectionConfig(env: Env, production: boolean): ProtectionConfig {
  const own = parseEnv(schema, env);
  const origins = own.CORS_ORIGINS?.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return {
    limits: {
      maxDepth: own.MAX_DEPTH ?? OPERATION_LIMIT_DEFAULTS.maxDepth,
      maxAliases: own.MAX_ALIASES ?? OPERATION_LIMIT_DEFAULTS.maxAliases,
      maxRootFields: own.MAX_ROOT_FIELDS ?? OPERATION_LIMIT_DEFAULTS.maxRootFields,
      maxSelections: own.MAX_SELECTIONS ?? OPERATION_LIMIT_DEFAULTS.maxSelections,
      maxDirectives: own.MAX_DIRECTIVES ?? OPERATION_LIMIT_DEFAULTS.maxDirectives,
      maxTokens: own.MAX_TOKENS ?? OPERATION_LIMIT_DEFAULTS.maxTokens,
      maxCost: own.MAX_COST ?? COST_DEFAULTS.maxCost,
      defaultListSize: own.COST_DEFAULT_LIST_SIZE ?? COST_DEFAULTS.defaultListSize,
      maxListInput: own.MAX_LIST_INPUT ?? LIST_INPUT_DEFAULTS.maxListInput,
      maxValidationErrors: own.MAX_VALIDATION_ERRORS ?? OPERATION_LIMIT_DEFAULTS.maxValidationErrors,
      maxQueryLength: own.MAX_QUERY_LENGTH ?? QUERY_TEXT_DEFAULTS.maxQueryLength,
      exposeLimits: own.EXPOSE_LIMITS ?? !production,
    },
    rateLimit: {
      enabled: own.RATE_LIMIT ?? production,
      windowSeconds: own.RATE_LIMIT_WINDOW_S ?? RATE_LIMIT_DEFAULTS.windowSeconds,
      perIp: own.RATE_LIMIT_IP ?? RATE_LIMIT_DEFAULTS.perIp,
      perUser: own.RATE_LIMIT_USER ?? RATE_LIMIT_DEFAULTS.perUser,
      perAuthField: own.RATE_LIMIT_AUTH_FIELDS ?? RATE_LIMIT_DEFAULTS.perAuthField,
      trustProxy: own.TRUST_PROXY ?? false,
    },
    cors: { origins: origins ?? (production ? [] : DEVELOPMENT_CORS_ORIGINS) },
    persisted: {
      apq: own.APQ ?? PERSISTED_DEFAULTS.apq,
      apqTtlSeconds: own.APQ_TTL_S ?? PERSISTED_DEFAULTS.apqTtlSeconds,
      ...(own.PERSISTED_OPERATIONS ? { manifestPath: resolve(own.PERSISTED_OPERATIONS) } : {}),
      enforce: own.PERSISTED_OPERATIONS_SAFELIST ?? production,
    },
    ...(own.REDIS_URL ? { redisUrl: own.REDIS_URL } : {}),
    redisKeyPrefix: own.REDIS_KEY_PREFIX,
    hideSuggestions: own.HIDE_SUGGESTIONS ?? production,
  };
}
