import {
  ANONYMOUS,
  CredentialMinter,
  generateKeyring,
  userViewer,
  type Env,
  type Viewer,
} from '@brigade/platform';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { createServer, loadConfig, type AuthServer } from '../src/subgraph.js';

/** PGlite always; PostgreSQL too when TEST_DATABASE_URL is set. */
export const ENGINES: { engine: string; url?: string }[] = [
  { engine: 'pglite' },
  ...(process.env.TEST_DATABASE_URL ? [{ engine: 'postgres', url: process.env.TEST_DATABASE_URL }] : []),
];

export interface GraphQLResult {
  status: number;
  body: {
    data?: Record<string, any> | null;
    errors?: { message: string; path?: unknown[]; extensions?: { code?: string; field?: string } }[];
  };
}

export interface AuthHarness {
  url: string;
  server: AuthServer;
  /** The PostgreSQL schema of this server (when on PostgreSQL), for tests that need a side connection. */
  databaseSchema?: string;
  /** Calls /graphql with a gateway credential carrying `viewer`. */
  query(query: string, variables?: Record<string, unknown>, viewer?: Viewer): Promise<GraphQLResult>;
  /** Calls /graphql with exactly this Authorization header (or none). */
  raw(authorization: string | undefined, query: string): Promise<GraphQLResult>;
  mint(issuer: 'gateway' | 'orders' | 'menu', audience: string, viewer?: Viewer): Promise<string>;
  stop(): Promise<void>;
}

/** The viewer the gateway would derive from an access token. */
export function viewerOf(accessToken: string): Viewer {
  const claims = decodeJwt(accessToken);
  return userViewer(claims.sub!, claims.scope as string, claims.roles as string[]);
}

export async function startAuth(databaseUrl: string | undefined, env: Env = {}): Promise<AuthHarness> {
  const keyring = await generateKeyring();
  const schema = `auth_t${randomBytes(6).toString('hex')}`;
  const config = await loadConfig({
    SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys.auth),
    SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
    DATA_DIR: 'memory',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, AUTH_DATABASE_SCHEMA: schema } : {}),
    ...env,
  });
  const server = await createServer(config);
  const url = await server.listen(0);
  const minters = {
    gateway: new CredentialMinter('gateway', keyring.privateKeys.gateway),
    orders: new CredentialMinter('orders', keyring.privateKeys.orders),
    menu: new CredentialMinter('menu', keyring.privateKeys.menu),
  };
  const raw = async (authorization: string | undefined, query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as GraphQLResult['body'] };
  };
  return {
    url,
    server,
    databaseSchema: databaseUrl ? schema : undefined,
    raw: (authorization, query) => raw(authorization, query),
    query: async (query, variables, viewer = ANONYMOUS) =>
      raw(`Bearer ${await minters.gateway.mint('auth', viewer)}`, query, variables),
    mint: (issuer, audience, viewer) => minters[issuer].mint(audience, viewer),
    async stop() {
      await server.stop();
      if (databaseUrl) {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await client.end();
        }
      }
    },
  };
}

/** Polls `probe` until it returns true; fails with `what` after a generous deadline (not a timing assertion). */
export async function eventually(what: string, probe: () => Promise<boolean>, deadlineMs = 30_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never happened: ${what}`);
}
