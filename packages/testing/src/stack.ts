import * as auth from '@brigade/auth';
import { createGateway, loadConfig as loadGatewayConfig } from '@brigade/gateway';
import * as menu from '@brigade/menu';
import * as orders from '@brigade/orders';
import {
  generateKeyring,
  SUBGRAPHS,
  type Env,
  type HttpApp,
  type ServiceKeyring,
  type ServiceName,
  type SubgraphName,
} from '@brigade/platform';
import * as station from '@brigade/station';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient, type GraphQLClient } from './client.js';

export interface StackOptions {
  /** PostgreSQL for every service (one fresh schema each, dropped on stop); default TEST_DATABASE_URL, else PGlite. */
  databaseUrl?: string | null;
  /** Keep PGlite databases in this folder (to restart a service with its data); default in memory. */
  dataDir?: string;
  /** Variables for every service. */
  env?: Env;
  /** Variables for one service, over `env`. */
  serviceEnv?: Partial<Record<ServiceName, Env>>;
  /** Start only these subgraphs (the gateway always starts, with whatever the supergraph names). */
  only?: SubgraphName[];
}

export interface StackService {
  readonly name: ServiceName;
  /** Its GraphQL URL (stable across restarts: it listens on the same port again). */
  readonly url: string;
  readonly running: boolean;
  readonly app: HttpApp;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface Stack extends GraphQLClient {
  /** The gateway's GraphQL endpoint. */
  readonly url: string;
  /** The gateway's origin (for /health, /ready, /metrics…). */
  readonly origin: string;
  readonly services: Record<ServiceName, StackService>;
  readonly keyring: ServiceKeyring;
  readonly admin: { email: string; password: string };
  /** The variables a service was started with (to start another replica of it on the same database). */
  envOf(name: ServiceName): Env;
  stop(): Promise<void>;
}

export const ADMIN = { email: 'admin@brigade.test', password: 'admin-password-for-tests' };

type Factory = (env: Env) => Promise<HttpApp>;

const factories: Record<ServiceName, Factory> = {
  auth: async (env) => auth.createServer(await auth.loadConfig(env)),
  menu: async (env) => menu.createServer(await menu.loadConfig(env)),
  orders: async (env) => orders.createServer(await orders.loadConfig(env)),
  kitchen: async (env) => station.createServer(await station.loadConfig({ ...env, STATION: 'kitchen' })),
  bar: async (env) => station.createServer(await station.loadConfig({ ...env, STATION: 'bar' })),
  bakery: async (env) => station.createServer(await station.loadConfig({ ...env, STATION: 'bakery' })),
  gateway: async (env) => createGateway(await loadGatewayConfig(env)),
};

/** Services in start order: each one's dependencies come before it. */
const START_ORDER: ServiceName[] = ['auth', 'menu', 'kitchen', 'bar', 'bakery', 'orders', 'gateway'];

/**
 * Starts the whole of Brigade in this process on ephemeral ports — six subgraphs and the gateway, each
 * with its own fresh database — the way clients will see it. Always `stop()` it (afterEach / finally).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const keyring = await generateKeyring();
  const databaseUrl = options.databaseUrl === undefined ? process.env.TEST_DATABASE_URL : options.databaseUrl ?? undefined;
  const tag = `t${randomBytes(4).toString('hex')}`;
  const wanted = new Set<ServiceName>([...(options.only ?? SUBGRAPHS), 'gateway']);
  const shared: Env = {
    LOG_LEVEL: 'silent',
    DATA_DIR: options.dataDir ?? 'memory',
    SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    HEALTH_CHECK_INTERVAL_MS: '500',
    ...options.env,
  };
  const urls: Env = {};
  const services = {} as Record<ServiceName, StackService>;
  const schemas: string[] = [];

  const envFor = (name: ServiceName, port: number): Env => {
    const env: Env = {
      ...shared,
      ...urls,
      PORT: String(port),
      SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys[name]),
      ...options.serviceEnv?.[name],
    };
    if (databaseUrl && name !== 'gateway') {
      const schema = `${tag}_${name}`;
      if (!schemas.includes(schema)) schemas.push(schema);
      env.DATABASE_URL = databaseUrl;
      env[`${name.toUpperCase()}_DATABASE_SCHEMA`] = schema;
    }
    return env;
  };

  try {
    for (const name of START_ORDER) {
      if (!wanted.has(name)) continue;
      let app = await factories[name](envFor(name, 0));
      const url = `${await app.listen(0)}/graphql`;
      const port = Number(new URL(url).port);
      let running = true;
      if (name !== 'gateway') urls[`SUBGRAPH_${name.toUpperCase()}_URL`] = url;
      services[name] = {
        name,
        url,
        get running() {
          return running;
        },
        get app() {
          return app;
        },
        async stop() {
          if (!running) return;
          running = false;
          await app.stop();
        },
        async start() {
          if (running) return;
          app = await factories[name](envFor(name, port));
          await app.listen(port);
          running = true;
        },
      };
    }
  } catch (error) {
    await Promise.allSettled(Object.values(services).map((s) => s.stop()));
    await dropSchemas(databaseUrl, schemas);
    throw error;
  }

  const gatewayUrl = services.gateway.url;
  const client = createClient(gatewayUrl);
  return {
    ...client,
    url: gatewayUrl,
    origin: new URL(gatewayUrl).origin,
    services,
    keyring,
    admin: ADMIN,
    envOf: (name) => envFor(name, 0),
    async stop() {
      // The gateway first, so nothing new reaches the subgraphs while they close.
      await services.gateway?.stop();
      await Promise.allSettled(Object.values(services).map((s) => s.stop()));
      await dropSchemas(databaseUrl, schemas);
    },
  };
}

async function dropSchemas(databaseUrl: string | undefined, schemas: string[]): Promise<void> {
  if (!databaseUrl || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
