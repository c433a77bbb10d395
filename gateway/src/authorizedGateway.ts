import type { ApolloGateway } from '@apollo/gateway';
import type {
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import type { Logger } from '@brigade/platform';
import { Kind, print, type OperationDefinitionNode } from 'graphql';
import { createHash } from 'node:crypto';
import {
  applyRemovals,
  buildAuthorizationPolicy,
  filterOperation,
  type AuthorizationPolicy,
} from './authorization/index.js';
import type { GatewayContext } from './context.js';

/** What the gateway layers (authorization, subscriptions) wrap: Apollo Gateway's loading and executing. */
export type ExecutingGateway = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;

/**
 * Apollo Gateway with `@authenticated` / `@requiresScopes` enforced the way Apollo Router does: before
 * planning, the fields the caller may not see are removed from the operation; the rest runs; each removed
 * path comes back as null with an UNAUTHENTICATED or FORBIDDEN error. The policy follows supergraph reloads.
 */
export function withAuthorization(gateway: ExecutingGateway, logger: Logger): ExecutingGateway {
  let policy: AuthorizationPolicy | undefined;
  // Registered before Apollo Server's own listener, so a reloaded schema never runs with the old policy.
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    try {
      policy = buildAuthorizationPolicy(coreSupergraphSdl);
    } catch (error) {
      logger.error({ err: error }, 'authorization policy could not be built; refusing protected operations');
      policy = undefined;
    }
  });

  const authorize =
    (execute: GatewayExecutor): GatewayExecutor =>
    async (requestContext) => {
      if (!policy) throw new Error('authorization policy unavailable');
      const { viewer } = requestContext.context as unknown as GatewayContext;
      const filtered = filterOperation(policy, requestContext.document, requestContext.operationName, viewer);
      if (filtered.document === requestContext.document) return execute(requestContext);
      if (filtered.empty) return applyRemovals({ data: {} }, filtered) as never;
      const operation = filtered.document.definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
      )!;
      const result = await execute({
        ...requestContext,
        document: filtered.document,
        operation,
        // The gateway caches query plans by queryHash: a filtered document must not share its plan.
        // A filter that removed only `__typename` selections records no removal: key its plan by the document.
        queryHash: createHash('sha256')
          .update(`${requestContext.queryHash}\n${filtered.permissionKey || print(filtered.document)}`)
          .digest('hex'),
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
