import type { ApolloServerPlugin } from '@apollo/server';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { graphqlRuntime } from './graphqlRuntime.js';

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
  readonly manifest: PersistedQueryManifest;
  /**
   * `PERSISTED_OPERATIONS_SAFELIST` (default: production): refuse every operation that is not in the
   * manifest. Off, the manifest is only informative (clients can be migrated before it is switched on).
   */
  readonly enforce: boolean;
  readonly onReject?: (kind: 'safelist') => void;
}

export const NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';

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
export function persistedOperationsPlugin(options: PersistedOperationsOptions): ApolloServerPlugin {
  const allowed = new Set<string>();
  for (const operation of options.manifest.operations) {
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
