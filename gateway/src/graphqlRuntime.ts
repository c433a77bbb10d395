import { createRequire } from 'node:module';

/**
 * graphql 16 has no `exports` map: Node — and so Apollo Server and Apollo Gateway — load its CommonJS build,
 * while bundlers (Vitest's transform) pick its ESM build. Values that meet Apollo's schema or its
 * `instanceof GraphQLError` checks must come from Apollo's copy, or they are "from another realm".
 */
export const graphqlRuntime = createRequire(import.meta.url)('graphql') as typeof import('graphql');
