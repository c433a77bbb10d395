import { ErrorCode } from '@brigade/platform';
import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { graphqlRuntime } from '../graphqlRuntime.js';
import type { GatewayPlugin } from '../pipeline.js';
import { RedisKeyValueCache } from '../redis.js';

const { GraphQLError } = graphqlRuntime;

/** Apollo's persisted query manifest (what `generate-persisted-query-manifest` and GraphOS write). */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string().optional(),
      type: z.enum(['query', 'mutation', 'subscription']).optional(),
      body: z.string().min(1),
    }),
  ),
});
export type PersistedQueryManifest = z.infer<typeof manifestSchema>;

export interface PersistedOperationsOptions {
  /** `PERSISTED_OPERATIONS`: path of an Apollo persisted query manifest; unset = no safelist. */
  readonly manifestPath?: string;
  /** `APQ`: Automatic Persisted Queries (default on). */
  readonly apq: boolean;
  /** `APQ_TTL_S`: how long a registered query is kept in Redis (default 86400 s; memory cache is LRU). */
  readonly apqTtlSeconds: number;
  /**
   * `PERSISTED_OPERATIONS_SAFELIST` (default: production): refuse every operation that is not in the
   * manifest. Off, the manifest is only informative (clients can be migrated before it is switched on).
   */
  readonly enforce: boolean;
  readonly onReject?: (kind: 'safelist') => void;
}

export const PERSISTED_DEFAULTS = { apq: true, apqTtlSeconds: 86_400 } as const;

export const NOT_IN_LIST = ErrorCode.PersistedQueryNotInList;

/**
 * Persisted operations: APQ (in Redis when there is one, so every replica knows a registered query; each
 * entry bounded by the query-text limit) and, with a manifest, the safelist.
 */
export async function persistedOperationsPlugin(
  options: PersistedOperationsOptions & { redis?: Redis; redisKeyPrefix: string; maxQueryLength: number },
): Promise<GatewayPlugin> {
  const manifest = options.manifestPath ? await loadManifest(options.manifestPath) : undefined;
  const persistedQueries: PersistedQueryOptions | false = !options.apq
    ? false
    : options.redis
      ? {
          cache: new RedisKeyValueCache(options.redis, `${options.redisKeyPrefix}apq:`, { maxValueLength: options.maxQueryLength }),
          ttl: options.apqTtlSeconds,
        }
      : {};
  return {
    name: 'persistedOperations',
    apolloOptions: { persistedQueries },
    ...(manifest ? { apollo: safelistPlugin(manifest, options) } : {}),
  };
}

export async function loadManifest(path: string): Promise<PersistedQueryManifest> {
  const parsed = manifestSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is not an Apollo persisted query manifest: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Safelisting: only the manifest's operations run. Apollo Server has already turned an APQ hash into its
 * body and hashed every body (`queryHash` = sha256 of the text), so matching the manifest's ids and the
 * hashes of its bodies covers both clients that send ids and clients that send full text. Runs before
 * planning and before an APQ registration is stored, so an unlisted query is neither run nor cached.
 */
function safelistPlugin(manifest: PersistedQueryManifest, options: PersistedOperationsOptions): ApolloServerPlugin {
  const allowed = new Set<string>();
  for (const operation of manifest.operations) {
    allowed.add(operation.id);
    allowed.add(createHash('sha256').update(operation.body).digest('hex'));
  }
  return {
    async requestDidStart() {
      if (!options.enforce) return;
      return {
        async didResolveOperation({ queryHash }) {
          if (allowed.has(queryHash)) return;
          options.onReject?.('safelist');
          throw new GraphQLError('This operation is not in the list of persisted operations.', {
            extensions: { code: NOT_IN_LIST, http: { status: 403 } },
          });
        },
      };
    },
  };
}
