/**
 * Brigade's own scenarios on the real stack (six subgraphs in one process on CPU 0 with the load generator, the
 * gateway alone on CPU 1):
 *   - throughput of the anonymous menu query, a customer's last 10 orders, and placeOrder, under closed-loop load;
 *   - the gateway's own overhead: one request at a time, gateway latency minus the latency of the very subgraph
 *     requests its plan makes (captured from Apollo's planner, credentials minted with the gateway's key) replayed
 *     directly in the plan's order — sequences wait, parallel branches overlap: the subgraphs' critical path;
 *   - memory: N menu requests, RSS sampled every second, growth over the second half.
 */
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import { ApolloServer } from '@apollo/server';
import { SEED_MENU } from '@brigade/menu';
import { ANONYMOUS, CredentialMinter, subgraphUrlVariable, type Viewer } from '@brigade/platform';
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { prepareForGateway } from '../gateway/src/supergraph.js';
import { postText } from './lib/http.js';
import { measure, median, type Measurement } from './lib/measure.js';
import { REPO_ROOT } from './lib/proc.js';
import { sampleMemory } from './lib/sampler.js';
import { toFloorPlan, type FloorPlan } from './guild/plan.js';
import {
  customerWithOrders,
  MENU_QUERY,
  MY_ORDERS_QUERY,
  PLACE_ORDER_MUTATION,
  restockAll,
  startBrigadeStack,
  viewerOfToken,
  type BrigadeStack,
} from './stack/brigade.js';

export interface ScenarioOptions {
  warmupS: number;
  runs: number;
  durationS: number;
  connections: number;
  /** One-at-a-time requests per side for the overhead figure. */
  overheadSamples: number;
  gatewayCpus?: string;
  subgraphCpus?: string;
  log: (line: string) => void;
}

export interface Overhead {
  gatewayP50Ms: number;
  directP50Ms: number;
  overheadP50Ms: number;
  fetches: number;
}

export interface ScenarioRow {
  id: string;
  label: string;
  measurement?: Measurement;
  overhead?: Overhead;
  error?: string;
}

interface Scenario {
  id: string;
  label: string;
  body: string;
  token?: string;
  viewer: Viewer;
  check: (status: number, body: string) => boolean;
}

const okGraphQL = (status: number, body: string): boolean => {
  if (status !== 200) return false;
  try {
    const parsed = JSON.parse(body) as { data?: unknown; errors?: unknown };
    return parsed.errors === undefined && parsed.data !== null && parsed.data !== undefined;
  } catch {
    return false;
  }
};

const placed = (status: number, body: string): boolean => okGraphQL(status, body) && body.includes('"OrderPlaced"');

/** The subgraph requests Apollo's planner makes for one operation, as the gateway serialises them, with its plan. */
async function capturePlan(stack: BrigadeStack, body: string, viewer: Viewer): Promise<FloorPlan> {
  const fetches: { service: string; body: string }[] = [];
  let queryPlan: QueryPlan | undefined;
  const minter = new CredentialMinter('gateway', stack.info.signingKey);
  const pools = new Map<string, Pool>();
  const recording = (service: string): GraphQLDataSource<{ viewer: Viewer }> => ({
    async process(options) {
      const url = new URL(stack.info.urls[subgraphUrlVariable(service)]!);
      const sent = JSON.stringify({
        query: options.request.query,
        variables: options.request.variables,
        operationName: options.request.operationName,
      });
      fetches.push({ service, body: sent });
      let pool = pools.get(service);
      if (!pool) pools.set(service, (pool = new Pool(url.origin)));
      const response = await pool.request({
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await minter.mint(service, options.context.viewer ?? ANONYMOUS)}`,
        },
        body: sent,
      });
      return (await response.body.json()) as never;
    },
  });
  const gateway = new ApolloGateway({
    supergraphSdl: prepareForGateway(readFileSync(join(REPO_ROOT, 'supergraph.graphql'), 'utf8')),
    buildService: ({ name }) => recording(name),
    experimental_didResolveQueryPlan: (options) => {
      queryPlan = options.queryPlan;
    },
  });
  const server = new ApolloServer<{ viewer: Viewer }>({ gateway });
  await server.start();
  try {
    const { query, operationName, variables } = JSON.parse(body) as {
      query: string;
      operationName?: string;
      variables?: Record<string, unknown>;
    };
    const response = await server.executeOperation({ query, operationName, variables }, { contextValue: { viewer } });
    if (response.body.kind !== 'single' || response.body.singleResult.errors) {
      throw new Error(
        `capture failed: ${JSON.stringify(response.body.kind === 'single' ? response.body.singleResult.errors : 'incremental')}`,
      );
    }
    return toFloorPlan({ result: response.body.singleResult, queryPlan: queryPlan!, fetches });
  } finally {
    await server.stop();
    await Promise.all([...pools.values()].map((p) => p.close()));
  }
}

const countFetches = (plan: FloorPlan): number => (plan.kind === 'fetch' ? 1 : plan.nodes.reduce((n, p) => n + countFetches(p), 0));

/** Gateway p50 vs direct replay p50, one request at a time, alternating the two so drift hits both alike. */
async function measureOverhead(stack: BrigadeStack, scenario: Scenario, samples: number): Promise<Overhead> {
  const plan = await capturePlan(stack, scenario.body, scenario.viewer);
  const minter = new CredentialMinter('gateway', stack.info.signingKey);
  const pools = new Map<string, { pool: Pool; path: string }>();
  for (const [key, value] of Object.entries(stack.info.urls)) {
    const url = new URL(value);
    pools.set(key.slice('SUBGRAPH_'.length, -'_URL'.length).toLowerCase(), { pool: new Pool(url.origin), path: url.pathname });
  }
  const gatewayUrl = new URL(stack.gatewayUrl);
  const gatewayPool = new Pool(gatewayUrl.origin);
  const gatewayHeaders: Record<string, string> = {
    'content-type': 'application/json',
    ...(scenario.token ? { authorization: `Bearer ${scenario.token}` } : {}),
  };
  const run = async (node: FloorPlan): Promise<void> => {
    if (node.kind === 'fetch') {
      const target = pools.get(node.service)!;
      const token = await minter.mint(node.service, scenario.viewer);
      const response = await target.pool.request({
        path: target.path,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: node.body,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200 || text.includes('"errors"'))
        throw new Error(`direct ${node.service}: ${response.statusCode} ${text.slice(0, 200)}`);
      return;
    }
    if (node.kind === 'sequence') for (const child of node.nodes) await run(child);
    else await Promise.all(node.nodes.map(run));
  };
  const viaGateway = async (): Promise<void> => {
    const response = await gatewayPool.request({ path: gatewayUrl.pathname, method: 'POST', headers: gatewayHeaders, body: scenario.body });
    const text = await response.body.text();
    if (!scenario.check(response.statusCode, text)) throw new Error(`gateway: ${response.statusCode} ${text.slice(0, 200)}`);
  };
  const gatewayMs: number[] = [];
  const directMs: number[] = [];
  try {
    for (let i = 0; i < samples + 20; i++) {
      for (const [fn, into] of [
        [viaGateway, gatewayMs],
        [() => run(plan), directMs],
      ] as const) {
        const started = performance.now();
        await fn();
        // The first 20 of each warm connections, JIT and caches.
        if (i >= 20) into.push(performance.now() - started);
      }
    }
  } finally {
    await gatewayPool.close();
    await Promise.all([...pools.values()].map((p) => p.pool.close()));
  }
  const gatewayP50Ms = median(gatewayMs, (x) => x)!;
  const directP50Ms = median(directMs, (x) => x)!;
  return { gatewayP50Ms, directP50Ms, overheadP50Ms: gatewayP50Ms - directP50Ms, fetches: countFetches(plan) };
}

export async function runBrigadeScenarios(options: ScenarioOptions): Promise<ScenarioRow[]> {
  const { log } = options;
  log('brigade scenarios: starting the stack (subgraphs on one process, gateway on its own)');
  const stack = await startBrigadeStack({ subgraphCpus: options.subgraphCpus, gatewayCpus: options.gatewayCpus });
  const rows: ScenarioRow[] = [];
  try {
    await restockAll(stack.client, 50_000);
    const customer = await customerWithOrders(stack.client, 10);
    const orderer = await stack.client.signUp();
    const scenarios: Scenario[] = [
      {
        id: 'menu',
        label: 'anonymous menu (name price stock available)',
        body: JSON.stringify({ query: MENU_QUERY, operationName: 'Menu' }),
        viewer: ANONYMOUS,
        check: okGraphQL,
      },
      {
        id: 'my-orders',
        label: 'me.orders(first: 10) with lines and menu items',
        body: JSON.stringify({ query: MY_ORDERS_QUERY, operationName: 'MyOrders' }),
        token: customer.accessToken,
        viewer: viewerOfToken(customer.accessToken),
        check: okGraphQL,
      },
      {
        id: 'place-order',
        label: 'placeOrder (2 lines)',
        body: JSON.stringify({
          query: PLACE_ORDER_MUTATION,
          operationName: 'PlaceOrder',
          variables: {
            input: {
              lines: [
                { menuItemId: SEED_MENU[0]!.id, quantity: 1 },
                { menuItemId: SEED_MENU[4]!.id, quantity: 1 },
              ],
            },
          },
        }),
        token: orderer.accessToken,
        viewer: viewerOfToken(orderer.accessToken),
        check: placed,
      },
    ];
    for (const scenario of scenarios) {
      const row: ScenarioRow = { id: scenario.id, label: scenario.label };
      rows.push(row);
      try {
        log(`${scenario.id}: overhead, ${options.overheadSamples} requests one at a time each way`);
        row.overhead = await measureOverhead(stack, scenario, options.overheadSamples);
        log(
          `  gateway p50 ${row.overhead.gatewayP50Ms.toFixed(2)} ms, direct ${row.overhead.directP50Ms.toFixed(2)} ms, overhead ${row.overhead.overheadP50Ms.toFixed(2)} ms`,
        );
        log(`${scenario.id}: load`);
        row.measurement = await measure({
          url: stack.gatewayUrl,
          pid: stack.gateway.pid,
          body: scenario.body,
          headers: scenario.token ? { authorization: `Bearer ${scenario.token}` } : {},
          check: scenario.check,
          warmupS: options.warmupS,
          runs: options.runs,
          durationS: options.durationS,
          connections: options.connections,
          timeoutS: 30,
          log,
        });
        if (row.measurement.voidReasons.length > 0) log(`${scenario.id}: VOID: ${row.measurement.voidReasons.join('; ').slice(0, 400)}`);
      } catch (error) {
        row.error = error instanceof Error ? error.message : String(error);
        log(`${scenario.id}: failed: ${row.error}`);
      }
    }
    return rows;
  } finally {
    await stack.stop();
  }
}

export interface MemoryResult {
  requests: number;
  targetRequests: number;
  capped: boolean;
  durationS: number;
  rps: number;
  errors: number;
  rssStartMb: number;
  rssMidMb: number;
  rssEndMb: number;
  peakRssMb: number;
  /** (end − middle) / middle of the sampled RSS, in %. */
  secondHalfGrowthPct: number;
}

/** `requests` menu queries (capped at `maxS` seconds) with the gateway's RSS sampled every second. */
export async function runMemoryScenario(options: {
  requests: number;
  maxS: number;
  connections: number;
  gatewayCpus?: string;
  subgraphCpus?: string;
  log: (line: string) => void;
}): Promise<MemoryResult> {
  const { log } = options;
  log(`memory: starting the stack; ${options.requests} menu requests, at most ${options.maxS} s`);
  const stack = await startBrigadeStack({ subgraphCpus: options.subgraphCpus, gatewayCpus: options.gatewayCpus });
  try {
    const body = JSON.stringify({ query: MENU_QUERY, operationName: 'Menu' });
    const first = await postText(stack.gatewayUrl, body);
    if (!okGraphQL(first.status, first.text)) throw new Error(`menu query failed: ${first.text.slice(0, 300)}`);
    const memory = sampleMemory(stack.gateway.pid, 1_000);
    const started = Date.now();
    const instance = autocannon({
      url: stack.gatewayUrl,
      connections: options.connections,
      amount: options.requests,
      timeout: 30,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const cap = setTimeout(() => instance.stop(), options.maxS * 1000);
    const result = await instance;
    clearTimeout(cap);
    memory.stop();
    const durationS = (Date.now() - started) / 1000;
    const samples = memory.samples();
    const at = (t: number): number => samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), samples[0]!).rssMb;
    const end = samples[samples.length - 1]!;
    const mid = at(end.t / 2);
    const requests = result.latency.totalCount;
    return {
      requests,
      targetRequests: options.requests,
      capped: requests < options.requests,
      durationS,
      rps: requests / durationS,
      errors: result.errors + result.non2xx,
      rssStartMb: samples[0]!.rssMb,
      rssMidMb: mid,
      rssEndMb: end.rssMb,
      peakRssMb: memory.peakRssMb(),
      secondHalfGrowthPct: ((end.rssMb - mid) / mid) * 100,
    };
  } finally {
    await stack.stop();
  }
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);

export function scenarioTable(rows: ScenarioRow[]): string {
  const lines = [
    '| scenario | RPS | p50 ms | p99 ms | CPU ms / request | peak RSS MB | one at a time: gateway p50 ms | subgraphs direct p50 ms (fetches) | gateway overhead p50 ms | status |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const m = row.measurement;
    const o = row.overhead;
    const status = row.error
      ? `failed: ${row.error.replaceAll('|', '/').replaceAll('\n', ' ').slice(0, 200)}`
      : m && m.voidReasons.length > 0
        ? `VOID: ${m.voidReasons.join('; ').replaceAll('|', '/').slice(0, 200)}`
        : 'ok';
    lines.push(
      `| ${row.label} | ${fixed(m?.median?.rps, 1)} | ${fixed(m?.median?.p50Ms, 0)} | ${fixed(m?.median?.p99Ms, 0)} | ${fixed(m?.cpuMsPerRequest, 2)} | ${fixed(m?.peakRssMb, 0)} | ${fixed(o?.gatewayP50Ms, 2)} | ${fixed(o?.directP50Ms, 2)} (${o?.fetches ?? '—'}) | ${fixed(o?.overheadP50Ms, 2)} | ${status} |`,
    );
  }
  return lines.join('\n');
}

export function memoryTable(result: MemoryResult): string {
  return [
    '| requests | duration s | RPS | errors | RSS start MB | RSS middle MB | RSS end MB | peak RSS MB | growth over the second half |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${result.requests}${result.capped ? ` of ${result.targetRequests} (capped)` : ''} | ${result.durationS.toFixed(0)} | ${result.rps.toFixed(0)} | ${result.errors} | ${result.rssStartMb.toFixed(0)} | ${result.rssMidMb.toFixed(0)} | ${result.rssEndMb.toFixed(0)} | ${result.peakRssMb.toFixed(0)} | ${result.secondHalfGrowthPct.toFixed(1)}% |`,
  ].join('\n');
}
