/**
 * The four subgraphs of the public federation benchmark (accounts, inventory, products, reviews) in one Node
 * process, reproducing the Rust originals' behaviour including their quirks (fixtures/BEHAVIOR.md).
 *
 * Replies are memoised by request body: the first identical body is executed for real, every later one is
 * answered from the serialised reply, so the subgraphs never limit the gateway under test.
 *
 *   node --import tsx bench/guild/subgraphs.ts [--port 4200] [--host 127.0.0.1] [--delay ms]
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createRequire } from 'node:module';
import type { GraphQLSchema } from 'graphql';
import { gql } from 'graphql-tag';
import { readGuildJson, readGuildText, SUBGRAPH_NAMES, type GuildSubgraphName } from './data.js';

// Execute with the same graphql instance @apollo/subgraph (CommonJS) built the schema with: under vitest an ESM
// import would load graphql's .mjs build and reject the schema as coming "from another realm".
const { graphql } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

interface User {
  id: string;
  name: string;
  username: string;
  birthday: number;
}
interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
}
interface Stock {
  upc: string;
  inStock: boolean;
}
interface Review {
  id: string;
  body: string;
  productUpc: string;
}

type Resolvers = Parameters<typeof buildSubgraphSchema>[0] extends infer M ? (M extends { resolvers?: infer R } ? R : never) : never;

function accountsResolvers(): Resolvers {
  const { users } = readGuildJson<{ users: User[] }>('fixtures/accounts.json');
  const byId = new Map(users.map((u) => [u.id, u]));
  const find = (id: string): User => {
    const user = byId.get(id);
    // The Rust original unwraps the lookup: an unknown id is an error, not null.
    if (!user) throw new Error(`user ${id} not found`);
    return user;
  };
  return {
    Query: {
      me: () => find('1'),
      user: (_: unknown, args: { id: string }) => byId.get(args.id) ?? null,
      users: () => users,
    },
    User: { __resolveReference: (ref: { id: string }) => find(ref.id) },
  } as Resolvers;
}

function productsResolvers(): Resolvers {
  const { products, topProductsDefaultFirst } = readGuildJson<{ products: Product[]; topProductsDefaultFirst: number }>(
    'fixtures/products.json',
  );
  const byUpc = new Map(products.map((p) => [p.upc, p]));
  return {
    Query: {
      topProducts: (_: unknown, args: { first?: number | null }) => products.slice(0, args.first ?? topProductsDefaultFirst),
    },
    Product: { __resolveReference: (ref: { upc: string }) => byUpc.get(ref.upc) ?? null },
  } as Resolvers;
}

function inventoryResolvers(): Resolvers {
  const { inventory } = readGuildJson<{ inventory: Stock[] }>('fixtures/inventory.json');
  const inStock = new Map(inventory.map((row) => [row.upc, row.inStock]));
  return {
    Product: {
      // Only upc and inStock: the original drops the price and weight the gateway sends in the representation…
      __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc, inStock: inStock.get(ref.upc) ?? null }),
      // …and computes the estimate from its own (always null) price and weight, so it is always null.
      shippingEstimate: () => null,
    },
  } as Resolvers;
}

function reviewsResolvers(): Resolvers {
  const { reviews } = readGuildJson<{ reviews: Review[] }>('fixtures/reviews.json');
  const byId = new Map(reviews.map((r) => [r.id, r]));
  const firstTwo = reviews.slice(0, 2);
  return {
    Product: {
      __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc }),
      reviews: (product: { upc: string }) => reviews.filter((r) => r.productUpc === product.upc),
    },
    Review: {
      __resolveReference: (ref: { id: string }) => byId.get(ref.id) ?? null,
      product: (review: Review) => ({ upc: review.productUpc }),
      // Quirk of the original: every review is by user 1, whose reviews are always reviews 1 and 2.
      author: () => ({ id: '1', username: 'urigo' }),
    },
    User: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id, username: 'user' }),
      reviews: () => firstTwo,
    },
  } as Resolvers;
}

const RESOLVERS: Record<GuildSubgraphName, () => Resolvers> = {
  accounts: accountsResolvers,
  inventory: inventoryResolvers,
  products: productsResolvers,
  reviews: reviewsResolvers,
};

export function buildGuildSchemas(): Map<GuildSubgraphName, GraphQLSchema> {
  return new Map(
    SUBGRAPH_NAMES.map((name) => [
      name,
      buildSubgraphSchema({ typeDefs: gql(readGuildText(`subgraphs/${name}.graphql`)), resolvers: RESOLVERS[name]() }),
    ]),
  );
}

export interface GuildSubgraphsOptions {
  /** Artificial delay before every subgraph request, like the original's SUBGRAPH_DELAY_MS middleware. */
  delayMs?: number;
  /** Memoised replies kept at most (identical bodies beyond this are executed for real). */
  memoLimit?: number;
}

export interface SubgraphStats {
  total: number;
  byName: Record<string, number>;
  executed: number;
}

export interface GuildSubgraphs {
  server: Server;
  listen(port: number, host?: string): Promise<string>;
  stats(): SubgraphStats;
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

export function createGuildSubgraphs(options: GuildSubgraphsOptions = {}): GuildSubgraphs {
  const schemas = buildGuildSchemas();
  const delayMs = options.delayMs ?? 0;
  const memoLimit = options.memoLimit ?? 10_000;
  const memo = new Map<string, Buffer>();
  const stats: SubgraphStats = { total: 0, byName: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])), executed: 0 };

  async function execute(schema: GraphQLSchema, body: string): Promise<Buffer> {
    let request: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return Buffer.from(JSON.stringify({ errors: [{ message: 'request body is not JSON' }] }));
    }
    stats.executed++;
    const result = await graphql({
      schema,
      source: typeof request.query === 'string' ? request.query : '',
      variableValues: (request.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    });
    return Buffer.from(JSON.stringify(result));
  }

  async function handleGraphql(name: GuildSubgraphName, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    stats.total++;
    stats.byName[name] = (stats.byName[name] ?? 0) + 1;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const key = `${name}\n${body}`;
    let reply = memo.get(key);
    if (!reply) {
      reply = await execute(schemas.get(name)!, body);
      if (memo.size < memoLimit) memo.set(key, reply);
    }
    res.writeHead(200, { ...JSON_HEADERS, 'content-length': reply.length });
    res.end(reply);
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const name = path.slice(1) as GuildSubgraphName;
    if (req.method === 'POST' && schemas.has(name)) {
      handleGraphql(name, req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, JSON_HEADERS);
        res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
      });
    } else if (req.method === 'GET' && path === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
    } else if (req.method === 'GET' && path === '/stats') {
      res.writeHead(200, JSON_HEADERS).end(JSON.stringify(stats));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  server.keepAliveTimeout = 60_000;

  return {
    server,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          resolve(`http://${host}:${address.port}`);
        });
      }),
    stats: () => structuredClone(stats),
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '4200' }, host: { type: 'string', default: '127.0.0.1' }, delay: { type: 'string' } },
  });
  const delayMs = Number(values.delay ?? process.env.SUBGRAPH_DELAY_MS ?? 0);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`bad delay: ${values.delay ?? process.env.SUBGRAPH_DELAY_MS}`);
  const subgraphs = createGuildSubgraphs({ delayMs });
  const url = await subgraphs.listen(Number(values.port), values.host);
  console.log(`guild subgraphs listening on ${url} (delay ${delayMs} ms)`);
  const stop = (): void => void subgraphs.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
