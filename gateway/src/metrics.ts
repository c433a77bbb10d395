import type { GatewayConfig as ApolloGatewayConfig } from '@apollo/gateway';
import { Counter, Histogram, Registry } from 'prom-client';

export type RequestOutcome = 'success' | 'error' | 'rejected';
export type FetchOutcome = 'ok' | 'error' | 'timeout';
type QueryPlanCache = NonNullable<NonNullable<ApolloGatewayConfig['queryPlannerConfig']>['cache']>;
type QueryPlan = QueryPlanCache extends { get(key: string): Promise<infer P | undefined> } ? P : never;

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface GatewayMetrics {
  /** A registry of this gateway's own: several gateways in one process (tests) must not share series. */
  readonly registry: Registry;
  /** Bounded label for an operation name (`anonymous`, or `other` once the cap of distinct names is reached). */
  operationLabel(name: string | null | undefined): string;
  observeRequest(operation: string, outcome: RequestOutcome, seconds: number): void;
  /** The data source's `onFetch` hook. */
  onFetch(subgraph: string, outcome: FetchOutcome, seconds: number): void;
  /** Called by every limiter that refuses a request (`ip`, `user`, `field`…). */
  onReject(kind: string): void;
  /** Apollo Gateway's query-plan store, counting its own hits and misses (the gateway has no hook for them). */
  readonly queryPlanCache: QueryPlanCache;
}

export function createGatewayMetrics(options: { maxOperationNames?: number; maxQueryPlans?: number } = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'brigade_gateway_requests_total',
    help: 'GraphQL operations handled by the gateway, by operation name and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'brigade_gateway_request_duration_seconds',
    help: 'Time from receiving an operation to sending its response.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const fetches = new Histogram({
    name: 'brigade_gateway_subgraph_fetch_duration_seconds',
    help: 'Duration of each fetch from the gateway to a subgraph.',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const planCache = new Counter({
    name: 'brigade_gateway_query_plan_cache_total',
    help: 'Query-plan cache lookups by result (a miss means the operation was planned).',
    labelNames: ['result'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'brigade_gateway_rate_limited_total',
    help: 'Requests refused by a rate limiter, by limiter kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  // Zero-valued series from the start, so dashboards and alerts see them before the first event.
  planCache.inc({ result: 'hit' }, 0);
  planCache.inc({ result: 'miss' }, 0);

  const maxNames = options.maxOperationNames ?? 200;
  const names = new Set<string>();
  const operationLabel = (name: string | null | undefined) => {
    // Operation names come from clients: unbounded label values would grow the registry without end.
    if (!name || !GRAPHQL_NAME.test(name)) return 'anonymous';
    if (names.has(name)) return name;
    if (names.size >= maxNames) return 'other';
    names.add(name);
    return name;
  };

  return {
    registry,
    operationLabel,
    observeRequest(operation, outcome, seconds) {
      requests.inc({ operation, outcome });
      duration.observe({ operation, outcome }, seconds);
    },
    onFetch(subgraph, outcome, seconds) {
      fetches.observe({ subgraph, outcome }, seconds);
    },
    onReject(kind) {
      rateLimited.inc({ kind });
    },
    queryPlanCache: new CountingPlanCache(options.maxQueryPlans ?? 1_000, (hit) => planCache.inc({ result: hit ? 'hit' : 'miss' })),
  };
}

/**
 * LRU of query plans bounded by entry count. Apollo Gateway calls `get` once per operation and plans
 * only when it returns nothing, so every `get` is exactly one hit or one miss.
 */
class CountingPlanCache implements QueryPlanCache {
  private readonly plans = new Map<string, QueryPlan>();

  constructor(
    private readonly max: number,
    private readonly count: (hit: boolean) => void,
  ) {}

  async get(key: string): Promise<QueryPlan | undefined> {
    const plan = this.plans.get(key);
    this.count(plan !== undefined);
    if (plan !== undefined) {
      this.plans.delete(key);
      this.plans.set(key, plan);
    }
    return plan;
  }

  async set(key: string, plan: QueryPlan): Promise<void> {
    this.plans.delete(key);
    this.plans.set(key, plan);
    if (this.plans.size > this.max) this.plans.delete(this.plans.keys().next().value!);
  }

  async delete(key: string): Promise<boolean> {
    return this.plans.delete(key);
  }

  clear(): void {
    this.plans.clear();
  }
}
