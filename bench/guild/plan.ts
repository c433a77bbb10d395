/**
 * Runs TestQuery once through plain @apollo/gateway in-process and records what it really sends: the query plan
 * and the exact body of each of its subgraph requests. The transport floor replays these bodies in the plan's
 * order, so it costs what the gateway's fetches cost and nothing else.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { QueryPlan, PlanNode } from '@apollo/query-planner';
import type { Fetcher } from '@apollo/utils.fetcher';
import { REQUEST_BODY, supergraphFor } from './data.js';

/** A replayable plan: fetches carry the subgraph name and the request body as the gateway serialised it. */
export type FloorPlan =
  { kind: 'fetch'; service: string; body: string } | { kind: 'sequence'; nodes: FloorPlan[] } | { kind: 'parallel'; nodes: FloorPlan[] };

export interface GatewayRun {
  /** The GraphQL response (`data`/`errors`) of TestQuery. */
  result: unknown;
  queryPlan: QueryPlan;
  /** Subgraph requests as sent: subgraph name and body string. */
  fetches: { service: string; body: string }[];
}

/** Executes TestQuery through a default ApolloGateway + ApolloServer against the subgraphs at `subgraphsUrl`. */
export async function runThroughApolloGateway(subgraphsUrl: string): Promise<GatewayRun> {
  const fetches: GatewayRun['fetches'] = [];
  let queryPlan: QueryPlan | undefined;
  const recordingFetcher = (service: string): Fetcher =>
    (async (url: string, init?: { body?: unknown }) => {
      fetches.push({ service, body: String(init?.body ?? '') });
      return fetch(url, init as RequestInit);
    }) as unknown as Fetcher;
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFor(subgraphsUrl),
    buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url, fetcher: recordingFetcher(name) }),
    experimental_didResolveQueryPlan: (options) => {
      queryPlan = options.queryPlan;
    },
  });
  const server = new ApolloServer({ gateway });
  await server.start();
  try {
    const { query, operationName } = JSON.parse(REQUEST_BODY) as { query: string; operationName: string };
    const response = await server.executeOperation({ query, operationName });
    if (response.body.kind !== 'single') throw new Error('TestQuery gave an incremental response');
    if (!queryPlan) throw new Error('the gateway reported no query plan');
    return { result: response.body.singleResult, queryPlan, fetches };
  } finally {
    await server.stop();
  }
}

/** Pairs each fetch node of the plan with the body the gateway sent for it (matched by subgraph operation name). */
export function toFloorPlan(run: GatewayRun): FloorPlan {
  const byOperation = new Map<string, { service: string; body: string }>();
  for (const fetch of run.fetches) {
    const { operationName } = JSON.parse(fetch.body) as { operationName?: string };
    if (!operationName) throw new Error(`subgraph request to ${fetch.service} has no operationName`);
    byOperation.set(`${fetch.service}/${operationName}`, fetch);
  }
  const convert = (node: PlanNode): FloorPlan => {
    switch (node.kind) {
      case 'Fetch': {
        const sent = byOperation.get(`${node.serviceName}/${node.operationName}`);
        if (!sent) throw new Error(`no recorded request for fetch ${node.serviceName}/${node.operationName}`);
        return { kind: 'fetch', service: sent.service, body: sent.body };
      }
      case 'Flatten':
        return convert(node.node);
      case 'Sequence':
        return { kind: 'sequence', nodes: node.nodes.map(convert) };
      case 'Parallel':
        return { kind: 'parallel', nodes: node.nodes.map(convert) };
      default:
        throw new Error(`plan node ${node.kind} is not expected in TestQuery's plan`);
    }
  };
  const root = run.queryPlan.node;
  if (!root || root.kind === 'Subscription') throw new Error('TestQuery should plan to a query node');
  return convert(root);
}

export function countFetches(plan: FloorPlan): number {
  return plan.kind === 'fetch' ? 1 : plan.nodes.reduce((sum, node) => sum + countFetches(node), 0);
}
