import {
  loadServiceConfig,
  parseEnv,
  SUBGRAPHS,
  subgraphUrlVariable,
  type Env,
  type ServiceConfig,
  type SubgraphName,
} from '@brigade/platform';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { z } from 'zod';
import { REQUEST_BODY_DEFAULTS } from './plugins/requestBody.js';
import { loadProtectionConfig, type ProtectionConfig } from './protectionConfig.js';
import { DEFAULT_SUBSCRIPTION_LIMITS, type SubscriptionLimits } from './subscriptions/index.js';

export interface GatewayConfig extends ServiceConfig {
  /** The composed supergraph; watched and reloaded when it changes. */
  readonly supergraphPath: string;
  /** Per-subgraph routing URL overrides (`SUBGRAPH_<NAME>_URL`), winning over the supergraph's URLs. */
  readonly subgraphUrls: Partial<Record<string, string>>;
  readonly subgraphTimeoutMs: number;
  /** Keep-alive connections per subgraph. */
  readonly subgraphConnections: number;
  /** Identical concurrent query fetches (same subgraph, body and viewer) share one subgraph call. */
  readonly dedupeSubgraphFetches: boolean;
  /** Explicit `AUTH_JWKS_URL`, or derived from `SUBGRAPH_AUTH_URL`; else the supergraph's auth routing URL is used. */
  readonly jwksUrl?: string;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly healthCheckIntervalMs: number;
  readonly bodyLimitBytes: number;
  /** `GATEWAY_WORKERS`: node:cluster workers sharing the port (1 = no cluster). */
  readonly workers: number;
  /** Operation limits, rate limits, CORS, persisted operations (protectionConfig.ts). */
  readonly protection: ProtectionConfig;
  /** OTLP/HTTP collector base URL; tracing is off (no spans at all) without it. */
  readonly otlpEndpoint?: string;
  readonly otelServiceName: string;
  /** Apollo Gateway's own anonymous usage metrics to Apollo, with cloud metadata probes: off unless asked for. */
  readonly apolloTelemetry: boolean;
  /** Live streams: per-viewer cap, per-subscriber buffer, heartbeat (subscriptions/index.ts has the defaults). */
  readonly subscriptions: SubscriptionLimits;
  /** `API_KEY_CACHE_TTL_MS`: a verified API key is trusted this long; the bound on a revocation's delay. */
  readonly apiKeyCacheTtlMs: number;
  /** `API_KEY_NEGATIVE_CACHE_TTL_MS`: a refused API key is refused this long without asking auth again. */
  readonly apiKeyNegativeCacheTtlMs: number;
}

const DEFAULT_SUPERGRAPH = fileURLToPath(new URL('../../supergraph.graphql', import.meta.url));

const schema = z.object({
  SUPERGRAPH_PATH: z.string().default(DEFAULT_SUPERGRAPH),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  SUBGRAPH_CONNECTIONS: z.coerce.number().int().min(1).max(1024).default(32),
  DEDUPE_SUBGRAPH_FETCHES: z.enum(['true', 'false']).default('true'),
  AUTH_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().min(1).default('brigade-auth'),
  JWT_AUDIENCE: z.string().min(1).default('brigade'),
  HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1_024).optional(),
  GATEWAY_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('brigade-gateway'),
  APOLLO_TELEMETRY_DISABLED: z.enum(['true', 'false', '1', '0']).default('true'),
  SUBSCRIPTIONS_PER_VIEWER: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_SUBSCRIPTION_LIMITS.maxPerViewer),
  SUBSCRIPTION_QUEUE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_SUBSCRIPTION_LIMITS.queueLimit),
  SUBSCRIPTION_HEARTBEAT_MS: z.coerce.number().int().min(100).max(120_000).default(DEFAULT_SUBSCRIPTION_LIMITS.heartbeatMs),
  // At most a minute: the revocation bound must stay "a few seconds" unless an operator chooses otherwise.
  API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  API_KEY_NEGATIVE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
});

export async function loadConfig(env: Env = process.env): Promise<GatewayConfig> {
  const base = await loadServiceConfig('gateway', env);
  const own = parseEnv(schema, env);
  const subgraphUrls: Record<string, string> = {};
  for (const name of SUBGRAPHS) {
    const variable = subgraphUrlVariable(name);
    if (env[variable]) subgraphUrls[name] = parseEnv(z.object({ [variable]: z.string().url() }), env)[variable]!;
  }
  return {
    ...base,
    supergraphPath: resolve(own.SUPERGRAPH_PATH),
    subgraphUrls,
    subgraphTimeoutMs: own.SUBGRAPH_TIMEOUT_MS,
    subgraphConnections: own.SUBGRAPH_CONNECTIONS,
    dedupeSubgraphFetches: own.DEDUPE_SUBGRAPH_FETCHES === 'true',
    jwksUrl: own.AUTH_JWKS_URL ?? (subgraphUrls.auth ? new URL('/.well-known/jwks.json', subgraphUrls.auth).toString() : undefined),
    jwtIssuer: own.JWT_ISSUER,
    jwtAudience: own.JWT_AUDIENCE,
    healthCheckIntervalMs: own.HEALTH_CHECK_INTERVAL_MS,
    bodyLimitBytes: own.MAX_BODY_BYTES ?? REQUEST_BODY_DEFAULTS.maxBodyBytes,
    workers: own.GATEWAY_WORKERS,
    protection: loadProtectionConfig(env, base.production),
    ...(own.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: own.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
    otelServiceName: own.OTEL_SERVICE_NAME,
    apolloTelemetry: own.APOLLO_TELEMETRY_DISABLED === 'false' || own.APOLLO_TELEMETRY_DISABLED === '0',
    subscriptions: {
      maxPerViewer: own.SUBSCRIPTIONS_PER_VIEWER,
      queueLimit: own.SUBSCRIPTION_QUEUE_LIMIT,
      heartbeatMs: own.SUBSCRIPTION_HEARTBEAT_MS,
    },
    apiKeyCacheTtlMs: own.API_KEY_CACHE_TTL_MS,
    apiKeyNegativeCacheTtlMs: own.API_KEY_NEGATIVE_CACHE_TTL_MS,
  };
}

export type { SubgraphName };
