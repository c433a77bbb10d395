import { ANONYMOUS, type Env, type Viewer } from '@brigade/platform';
import { startSubgraph, type Engine } from '@brigade/testing';
import * as auth from '../src/subgraph.js';

/** Auth's tests read a whole HTTP answer: the status beside the body as it arrived. */
export interface GraphQLResult {
  status: number;
  body: {
    data?: Record<string, any> | null;
    errors?: { message: string; path?: unknown[]; extensions?: { code?: string; field?: string } }[];
  };
}

export interface AuthHarness {
  /** The server's origin (for /.well-known/jwks.json and /graphql). */
  url: string;
  server: auth.AuthServer;
  /** The PostgreSQL schema of this server (when on PostgreSQL), for tests that need a side connection. */
  databaseSchema?: string;
  /** Calls /graphql with a gateway credential carrying `viewer`. */
  query(query: string, variables?: Record<string, unknown>, viewer?: Viewer): Promise<GraphQLResult>;
  /** Calls /graphql with exactly this Authorization header (or none). */
  raw(authorization: string | undefined, query: string): Promise<GraphQLResult>;
  mint(issuer: 'gateway' | 'orders' | 'menu', audience: string, viewer?: Viewer): Promise<string>;
  stop(): Promise<void>;
}

export async function startAuth(engine: Engine, env: Env = {}): Promise<AuthHarness> {
  const subgraph = await startSubgraph(auth, { engine, env });
  const raw = async (authorization: string | undefined, query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, body: (await res.json()) as GraphQLResult['body'] };
  };
  return {
    url: subgraph.origin,
    server: subgraph.server,
    databaseSchema: subgraph.databaseSchema,
    raw: (authorization, query) => raw(authorization, query),
    query: async (query, variables, viewer = ANONYMOUS) =>
      raw(`Bearer ${await subgraph.mint('gateway', 'auth', viewer)}`, query, variables),
    mint: (issuer, audience, viewer) => subgraph.mint(issuer, audience, viewer),
    stop: () => subgraph.stop(),
  };
}
