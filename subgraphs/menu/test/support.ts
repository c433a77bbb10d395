/**
 * Test set-up shared by the menu and station suites: a keyring, a per-server database (PGlite in memory,
 * or a unique schema on TEST_DATABASE_URL that is dropped afterwards), and GraphQL calls with credentials.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  CredentialMinter,
  generateKeyring,
  userViewer,
  type Env,
  type ServiceKeyring,
  type ServiceName,
  type SubgraphServer,
  type Viewer,
} from '@brigade/platform';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
/** The engines every database test runs on: PGlite always, PostgreSQL when configured. */
export const ENGINES: readonly ('pglite' | 'postgres')[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

let keyring: Promise<ServiceKeyring> | undefined;
export const testKeyring = () => (keyring ??= generateKeyring());

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; field?: string } }[];
}

export interface Caller {
  /** The service minting the credential (default gateway). */
  issuer?: ServiceName;
  /** The audience (default: the server's own name). */
  audience?: string;
  viewer?: Viewer;
  /** Send no credential at all. */
  anonymousHttp?: boolean;
}

export interface TestServer {
  readonly name: ServiceName;
  readonly url: string;
  call<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, as?: Caller): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export const staff = (scope = 'orders:manage stock:write') => userViewer('staff-1', scope, ['STAFF']);
export const admin = () => userViewer('admin-1', 'orders:manage stock:write menu:write users:manage', ['ADMIN']);
export const customer = () => userViewer('customer-1', '', ['CUSTOMER']);

export async function postGraphQL<T>(
  url: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/**
 * Starts one subgraph on port 0 with fresh keys and database. `createServer`/`loadConfig` are the
 * subgraph module's own, so the test exercises the real start-up (migrations, seed).
 */
export async function startTestServer<C>(options: {
  name: ServiceName;
  engine: 'pglite' | 'postgres';
  loadConfig: (env: Env) => Promise<C>;
  createServer: (config: C) => Promise<SubgraphServer>;
  env?: Env;
}): Promise<TestServer> {
  const keys = await testKeyring();
  const prefix = options.name.toUpperCase();
  const schema = `${options.name}_t${randomBytes(6).toString('hex')}`;
  const env: Env = {
    SERVICE_SIGNING_KEY: JSON.stringify(keys.privateKeys[options.name]),
    SERVICE_TRUSTED_KEYS: JSON.stringify(keys.trusted),
    DATA_DIR: 'memory',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...(options.engine === 'postgres'
      ? { [`${prefix}_DATABASE_URL`]: TEST_DATABASE_URL, [`${prefix}_DATABASE_SCHEMA`]: schema }
      : {}),
    ...options.env,
  };
  const server = await options.createServer(await options.loadConfig(env));
  const url = await server.listen(0, '127.0.0.1');
  const minters = new Map<string, CredentialMinter>();
  const minter = (issuer: ServiceName) => {
    let m = minters.get(issuer);
    if (!m) minters.set(issuer, (m = new CredentialMinter(issuer, keys.privateKeys[issuer])));
    return m;
  };
  return {
    name: options.name,
    url,
    async call(query, variables, as = {}) {
      const token = as.anonymousHttp
        ? undefined
        : await minter(as.issuer ?? 'gateway').mint(as.audience ?? options.name, as.viewer);
      return postGraphQL(url, token, query, variables);
    },
    async stop() {
      await server.stop();
      if (options.engine === 'postgres') await dropSchema(schema);
    },
  };
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export const codesOf = (response: GraphQLResponse<unknown>) => (response.errors ?? []).map((e) => e.extensions?.code);
