/**
 * Brigade's real stack for the bench: the six subgraphs in one child process (`subgraphs.ts`) and the gateway as its
 * own process in front of them (`gateway/src/main.ts`, production mode, pinned), plus the admin chores scenarios
 * need (restocking, users with orders).
 */
import { type Viewer, userViewer } from '@brigade/platform';
import { STATION_PROFILES } from '@brigade/station/stations';
import { createClient, SEED_MENU, type GraphQLClient, type SignedInUser } from '@brigade/testing';
import type { JSONWebKeySet, JWK } from 'jose';
import { join } from 'node:path';
import { GATEWAY_NODE_OPTIONS } from '../brigade.js';
import { postText, waitUntil } from '../lib/http.js';
import { freePort, nodeTs, REPO_ROOT, startProcess, type ManagedProcess } from '../lib/proc.js';

export interface StackInfo {
  /** `SUBGRAPH_<NAME>_URL` → URL. */
  urls: Record<string, string>;
  signingKey: JWK;
  trusted: JSONWebKeySet;
  admin: { email: string; password: string };
}

export interface BrigadeStack {
  info: StackInfo;
  gatewayUrl: string;
  gateway: ManagedProcess;
  subgraphs: ManagedProcess;
  client: GraphQLClient;
  stop(): Promise<void>;
}

export interface BrigadeStackOptions {
  subgraphCpus?: string;
  gatewayCpus?: string;
  databaseUrl?: string;
  /** PGlite in data folders under this one (as deployed) instead of in memory. */
  dataDir?: string;
  /** Whether PGlite syncs each commit to disk (PGLITE_FSYNC); unset = the services' default. */
  pgliteFsync?: boolean;
  workers?: number;
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

export const MENU_QUERY = 'query Menu { menu { name price { amount } stock available } }';
export const MY_ORDERS_QUERY =
  'query MyOrders { me { orders(first: 10) { edges { node { total { amount } lines { menuItem { name stock } } } } } } }';
export const PLACE_ORDER_MUTATION =
  'mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename ... on OrderPlaced { order { id total { amount } } } ... on OrderRejected { reason } } }';

/** The environment the bench gives Brigade's gateway: production, every limit on, a rate budget no bench reaches. */
export function gatewayEnv(info: StackInfo, port: number, workers: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...info.urls,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    SERVICE_SIGNING_KEY: JSON.stringify(info.signingKey),
    SERVICE_TRUSTED_KEYS: JSON.stringify(info.trusted),
    GATEWAY_WORKERS: String(workers),
    NODE_OPTIONS: [process.env.NODE_OPTIONS, GATEWAY_NODE_OPTIONS].filter(Boolean).join(' '),
    // As shipped: one access-log line per operation is part of the gateway's cost.
    LOG_LEVEL: 'info',
    RATE_LIMIT_IP: '1000000000',
    RATE_LIMIT_USER: '1000000000',
    RATE_LIMIT_AUTH_FIELDS: '1000000000',
  };
}

export async function startBrigadeStack(options: BrigadeStackOptions = {}): Promise<BrigadeStack> {
  const sub = nodeTs(join(REPO_ROOT, 'bench/stack/subgraphs.ts'), [
    ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : []),
    ...(options.dataDir ? ['--data-dir', options.dataDir] : []),
  ]);
  const subgraphs = startProcess({
    name: 'brigade-subgraphs',
    ...sub,
    cpus: options.subgraphCpus,
    env: {
      ...process.env,
      LOG_LEVEL: 'silent',
      ...(options.pgliteFsync === undefined ? {} : { PGLITE_FSYNC: String(options.pgliteFsync) }),
    },
  });
  let gateway: ManagedProcess | undefined;
  try {
    const [, json] = await subgraphs.waitForLine(/^STACK (.*)$/, 120_000);
    const info = JSON.parse(json!) as StackInfo;
    const port = await freePort();
    const gw = nodeTs(join(REPO_ROOT, 'gateway/src/main.ts'), [], options.nodeFlags);
    gateway = startProcess({
      name: 'brigade-gateway',
      ...gw,
      cpus: options.gatewayCpus,
      env: { ...gatewayEnv(info, port, options.workers ?? 1), ...options.env },
    });
    const gatewayUrl = `http://127.0.0.1:${port}/graphql`;
    const started = gateway;
    await waitUntil(
      'brigade gateway',
      async () => (await postText(gatewayUrl, JSON.stringify({ query: MENU_QUERY }))).status === 200,
      120_000,
      () => !started.exited,
    );
    return {
      info,
      gatewayUrl,
      gateway,
      subgraphs,
      client: createClient(gatewayUrl, info.admin),
      stop: async () => {
        await started.stop();
        await subgraphs.stop(15_000);
      },
    };
  } catch (error) {
    await gateway?.stop();
    await subgraphs.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${gateway?.output().slice(-1500) ?? ''}`);
  }
}

/** Adds `quantity` to every seeded item's stock (in calls of at most 10000, the API's bound). */
export async function restockAll(client: GraphQLClient, quantity: number): Promise<void> {
  const token = await client.adminToken();
  for (const item of SEED_MENU) {
    for (let left = quantity; left > 0; left -= 10_000) {
      const field = `restock${STATION_PROFILES[item.station].itemType}`;
      const result = await client.query(`mutation($id: ID!, $q: Int!) { ${field}(id: $id, quantity: $q) { id } }`, {
        variables: { id: item.id, q: Math.min(left, 10_000) },
        token,
      });
      if (result.errors) throw new Error(`${field} failed: ${JSON.stringify(result.errors)}`);
    }
  }
}

/** A customer with `orders` placed orders of 1–3 lines each. */
export async function customerWithOrders(client: GraphQLClient, orders: number): Promise<SignedInUser> {
  const user = await client.signUp();
  for (let i = 0; i < orders; i++) {
    const lines = [0, 1, 2].slice(0, 1 + (i % 3)).map((k) => ({ menuItemId: SEED_MENU[(i + k * 5) % SEED_MENU.length]!.id, quantity: 1 }));
    const result = await client.query(PLACE_ORDER_MUTATION, { variables: { input: { lines } }, token: user.accessToken });
    if (result.data?.placeOrder?.__typename !== 'OrderPlaced') {
      throw new Error(`placeOrder failed: ${JSON.stringify(result.errors ?? result.data)}`);
    }
  }
  return user;
}

/** The viewer an access token speaks for (read, not verified: the bench minted it through auth itself). */
export function viewerOfToken(token: string): Viewer {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
    sub: string;
    scope?: string;
    roles?: string[];
  };
  return userViewer(payload.sub, payload.scope, payload.roles ?? []);
}
