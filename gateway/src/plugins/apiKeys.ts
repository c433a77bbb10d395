import { createApiKeyAuthentication, type ApiKeyVerifierOptions } from '../auth/apiKeys.js';
import type { Logger } from '@brigade/platform';
import type { GatewayPlugin } from '../pipeline.js';

export type ApiKeyOptions = ApiKeyVerifierOptions & { logger?: Logger };

/** `API_KEY_CACHE_TTL_MS` (the revocation bound per replica) and `API_KEY_NEGATIVE_CACHE_TTL_MS`. */
export const API_KEY_DEFAULTS = { cacheTtlMs: 5_000, negativeCacheTtlMs: 60_000, cacheSize: 10_000 } as const;

/**
 * `X-API-Key: <secret>` → the key's viewer (its scopes, no user), before any GraphQL runs. No header leaves
 * the viewer to the access token; a key with a bearer token is 400; a malformed, unknown, revoked or
 * expired key is 401; auth unreachable is 503 (see auth/apiKeys.ts for the cache and its revocation bound).
 */
export function apiKeyPlugin(options: ApiKeyOptions): GatewayPlugin {
  const authenticate = createApiKeyAuthentication({ ...API_KEY_DEFAULTS, ...options });
  return {
    name: 'apiKeys',
    async http(exchange) {
      const viewer = await authenticate(exchange.req.headers, exchange.requestId);
      if (viewer) exchange.viewer = viewer;
    },
  };
}
