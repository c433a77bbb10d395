import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { Kind, print, type OperationDefinitionNode } from 'graphql';
import { createHash } from 'node:crypto';
import type { Analysis } from './analysis/index.js';
import { applyRemovals, type FilterResult } from './authorization/index.js';
import type { GatewayContext } from './context.js';

/**
 * Apollo Gateway with `@authenticated` / `@requiresScopes` enforced the way Apollo Router does: before
 * planning, the fields the caller may not see are removed from the operation; the rest runs; each removed
 * path comes back as null with an UNAUTHENTICATED or FORBIDDEN error. The decisions come from the operation
 * analysis, which follows supergraph reloads (it is updated before Apollo Server sees a new schema).
 */
/** What the gateway layers (authorization, subscriptions) wrap: Apollo Gateway's loading and executing. */
export type ExecutingGateway = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;

export function withAuthorization(gateway: ExecutingGateway, analysis: Analysis): ExecutingGateway {
  // The gateway caches query plans by queryHash: a filtered document must not share its plan. Keyed by the
  // filtered text itself (what was removed can depend on @skip/@include values), printed once per filter result.
  const planKeys = new WeakMap<FilterResult, string>();
  const planKey = (queryHash: string, filtered: FilterResult): string => {
    let key = planKeys.get(filtered);
    if (!key) {
      key = createHash('sha256')
        .update(`${queryHash}\n${print(filtered.document)}`)
        .digest('hex');
      planKeys.set(filtered, key);
    }
    return key;
  };
  const authorize =
    (execute: GatewayExecutor): GatewayExecutor =>
    async (requestContext) => {
      const context = requestContext.context as unknown as GatewayContext;
      const analysed = analysis.of({
        context,
        document: requestContext.document,
        operationName: requestContext.operationName,
        variables: requestContext.request.variables,
      });
      if (!analysed) throw new Error('authorization policy unavailable');
      const filtered = analysed.authorization(context.viewer);
      // Empty first: an operation whose every root field was removed may keep its document object, and
      // must still never reach a subgraph.
      if (filtered.empty) return applyRemovals({ data: {} }, filtered) as never;
      if (filtered.document === requestContext.document) return execute(requestContext);
      const operation = filtered.document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
      const result = await execute({
        ...requestContext,
        document: filtered.document,
        operation,
        queryHash: planKey(requestContext.queryHash, filtered),
      } as GatewayGraphQLRequestContext);
      return applyRemovals(result as never, filtered) as never;
    };

  return {
    async load(options) {
      const { schema, executor } = await gateway.load(options);
      return { schema, executor: authorize(executor) };
    },
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
  };
}
