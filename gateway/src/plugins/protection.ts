import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
import type { Logger, Viewer } from '@brigade/platform';
import type { ValidationRule } from 'graphql';
import type { Redis } from 'ioredis';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.js';
import { costLimitPlugin, CostModel } from './cost.js';
import { createCors } from './cors.js';
import { createGatewayErrorFormatter } from './errorMasking.js';
import { listInputsPlugin } from './listInputs.js';
import { operationLimitRules } from './operationLimits.js';
import { loadManifest, persistedOperationsPlugin } from './persistedOperations.js';
import type { ProtectionConfig } from './protectionConfig.js';
import { clientIpOf, RateLimiter, type RateLimitKind } from './rateLimit.js';
import { connectRedis, RedisKeyValueCache } from './redisCache.js';

export interface Protection {
  /** Spread into the ApolloServer options. */
  readonly apollo: {
    validationRules: ValidationRule[];
    parseOptions: { maxTokens: number };
    validationOptions: { maxErrors: number };
    hideSchemaDetailsFromClientErrors: boolean;
    formatError: ReturnType<typeof createGatewayErrorFormatter>;
    persistedQueries: PersistedQueryOptions | false;
  };
  readonly plugins: ApolloServerPlugin<GatewayContext>[];
  /**
   * The HTTP part, in the /graphql route before Apollo runs: CORS (answers preflights itself), then the
   * per-IP budget. Returns true when the response was already sent.
   */
  beforeAuthentication(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The per-user budget, once the token is verified. Throws a 429 HttpError. */
  afterAuthentication(viewer: Viewer): Promise<void>;
  clientIp(req: IncomingMessage): string;
  /** Feed each loaded supergraph (its `@cost`/`@listSize`) to the cost limit. */
  updateSupergraph(coreSupergraphSdl: string): void;
  close(): Promise<void>;
}

/** Every protection of the gateway, built from its configuration (see protectionConfig.ts for the defaults). */
export async function createProtection(
  config: { production: boolean; protection: ProtectionConfig },
  options: { logger: Logger; onReject?: (kind: RateLimitKind) => void; redis?: Redis },
): Promise<Protection> {
  const { protection } = config;
  const { limits } = protection;
  const ownsRedis = !options.redis && protection.redisUrl !== undefined;
  const redis = options.redis ?? (protection.redisUrl ? connectRedis(protection.redisUrl) : undefined);
  redis?.on('error', (err: unknown) => options.logger.warn({ err }, 'redis error'));
  let costModel = CostModel.empty();
  const rateLimiter = protection.rateLimit.enabled
    ? new RateLimiter({
        ...protection.rateLimit,
        keyPrefix: `${protection.redisKeyPrefix}rl:`,
        logger: options.logger,
        ...(redis ? { redis } : {}),
        ...(options.onReject ? { onReject: options.onReject } : {}),
      })
    : undefined;
  const manifest = protection.persisted.manifestPath ? await loadManifest(protection.persisted.manifestPath) : undefined;
  const cors = createCors(protection.cors);

  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    costLimitPlugin(() => costModel, limits) as ApolloServerPlugin<GatewayContext>,
    listInputsPlugin(limits) as ApolloServerPlugin<GatewayContext>,
  ];
  if (manifest) {
    plugins.push(persistedOperationsPlugin({ manifest, enforce: protection.persisted.enforce }) as ApolloServerPlugin<GatewayContext>);
  }
  if (rateLimiter) plugins.push(rateLimiter.plugin());

  const persistedQueries: PersistedQueryOptions | false = !protection.persisted.apq
    ? false
    : redis
      ? { cache: new RedisKeyValueCache(redis, `${protection.redisKeyPrefix}apq:`), ttl: protection.persisted.apqTtlSeconds }
      : {};

  const clientIp = (req: IncomingMessage) => clientIpOf(req, protection.rateLimit.trustProxy ?? false);
  return {
    apollo: {
      validationRules: operationLimitRules(limits),
      parseOptions: { maxTokens: limits.maxTokens },
      validationOptions: { maxErrors: limits.maxValidationErrors },
      hideSchemaDetailsFromClientErrors: protection.hideSuggestions,
      formatError: createGatewayErrorFormatter({
        production: config.production,
        exposeLimits: limits.exposeLimits,
        hideSuggestions: protection.hideSuggestions,
      }),
      persistedQueries,
    },
    plugins,
    async beforeAuthentication(req, res) {
      if (cors.handle(req, res)) return true;
      await rateLimiter?.checkClient(clientIp(req));
      return false;
    },
    async afterAuthentication(viewer) {
      await rateLimiter?.checkUser(viewer);
    },
    clientIp,
    updateSupergraph(sdl) {
      costModel = CostModel.fromSupergraph(sdl);
    },
    async close() {
      if (ownsRedis) await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
