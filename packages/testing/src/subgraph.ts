import type { Env, ServiceKeyring, ServiceName, SubgraphModule, SubgraphServer, Viewer } from '@brigade/platform';
import { rm } from 'node:fs/promises';
import { createMinter, testKeyring } from './credentials.js';
import { TEST_DATABASE_URL, type Engine } from './engines.js';
import { postGraphQL, type GraphQLResponse } from './graphql.js';
import { scratchFolder } from './scratch.js';
import { dropSchemas, uniqueSchema } from './schemas.js';

/** What startSubgraph starts: any subgraph package's exports (`name`, `loadConfig`, `createServer`). */
export type { SubgraphModule } from '@brigade/platform';

export interface SubgraphOptions {
  /**
   * Default PGlite in a throwaway folder, removed on stop; `postgres` puts the service in a fresh schema on
   * TEST_DATABASE_URL, dropped on stop.
   */
  engine?: Engine;
  /** Variables over the test defaults (silent logs, throwaway data, a signing key from `keyring`). */
  env?: Env;
  /** Default one keyring shared by the test file. */
  keyring?: ServiceKeyring;
}

export interface Caller {
  /** The service minting the credential (default gateway). */
  issuer?: ServiceName;
  /** The audience (default: the subgraph itself). */
  audience?: string;
  viewer?: Viewer;
  /** Send no credential at all. */
  anonymousHttp?: boolean;
}

export interface TestSubgraph<Server extends SubgraphServer = SubgraphServer> {
  /** The service it runs as (a station's STATION, else the module's name). */
  readonly name: ServiceName;
  /** Its GraphQL endpoint; stable across restarts. */
  readonly url: string;
  /** Its origin (for /health, /ready, /.well-known/…). */
  readonly origin: string;
  readonly port: number;
  readonly server: Server;
  readonly running: boolean;
  readonly keyring: ServiceKeyring;
  /** The PostgreSQL schema it runs in, when on PostgreSQL. */
  readonly databaseSchema?: string;
  /** Calls it with a credential minted as `as.issuer` (default the gateway) would. */
  call<T = any>(query: string, variables?: Record<string, unknown>, as?: Caller): Promise<GraphQLResponse<T>>;
  mint(issuer: ServiceName, audience?: string, viewer?: Viewer): Promise<string>;
  /** Stops the server only (as a crash or a deploy would), keeping its database for `restart()`. */
  stopServer(): Promise<void>;
  /** Starts it again (stopping it first if it runs) on its port and its database, `env` over the original. */
  restart(overrides?: { env?: Env; module?: SubgraphModule<any, Server> }): Promise<void>;
  /** Stops it for good and drops its schema. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts one subgraph package in this process on a free port with its real start-up (migrations, seed),
 * its own fresh database and credentials from a test keyring.
 */
export async function startSubgraph<Config, Server extends SubgraphServer>(
  module: SubgraphModule<Config, Server>,
  options: SubgraphOptions = {},
): Promise<TestSubgraph<Server>> {
  const keyring = options.keyring ?? (await testKeyring());
  const name = (options.env?.STATION ?? module.name) as ServiceName;
  const prefix = name.toUpperCase();
  const schema = options.engine === 'postgres' ? uniqueSchema(name) : undefined;
  // A copied cluster in a throwaway folder opens in a fraction of the time DATA_DIR=memory takes (which
  // pushes the whole cluster through PGlite's in-memory file system: ~2 s and 65,000 page faults a database).
  const ownsData = !schema && !['DATA_DIR', 'PGLITE_DIR', `${prefix}_PGLITE_DIR`].some((key) => options.env?.[key]);
  const scratch = ownsData ? await scratchFolder(`${name}-`) : undefined;
  const baseEnv: Env = {
    SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys[name]),
    SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
    DATA_DIR: 'memory',
    PORT: '0',
    LOG_LEVEL: 'silent',
    // As in startStack: the cheapest scrypt, for suites that sign up and log in many times.
    PASSWORD_HASH_COST: '10',
    ...(scratch ? { PGLITE_DIR: scratch } : {}),
    ...(schema ? { [`${prefix}_DATABASE_URL`]: TEST_DATABASE_URL, [`${prefix}_DATABASE_SCHEMA`]: schema } : {}),
    ...options.env,
  };
  const mint = createMinter(keyring);
  const serve = async (use: SubgraphModule<Config, Server>, env: Env, port: number) => {
    const server = await use.createServer(await use.loadConfig(env));
    try {
      return { server, origin: await server.listen(port, '127.0.0.1') };
    } catch (error) {
      await server.stop();
      throw error;
    }
  };

  let { server, origin } = await serve(module, baseEnv, 0);
  const port = Number(new URL(origin).port);
  let running = true;
  const subgraph: TestSubgraph<Server> = {
    name,
    url: `${origin}/graphql`,
    origin,
    port,
    get server() {
      return server;
    },
    get running() {
      return running;
    },
    keyring,
    databaseSchema: schema,
    async call(query, variables, as = {}) {
      const token = as.anonymousHttp ? undefined : await mint(as.issuer ?? 'gateway', as.audience ?? name, as.viewer);
      return postGraphQL(subgraph.url, token, query, variables);
    },
    mint: (issuer, audience = name, viewer) => mint(issuer, audience, viewer),
    async stopServer() {
      if (running) await server.stop();
      running = false;
    },
    async restart(overrides = {}) {
      await subgraph.stopServer();
      ({ server, origin } = await serve(overrides.module ?? module, { ...baseEnv, ...overrides.env }, port));
      running = true;
    },
    async stop() {
      await subgraph.stopServer();
      await dropSchemas(TEST_DATABASE_URL, schema ? [schema] : []);
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };
  return subgraph;
}
