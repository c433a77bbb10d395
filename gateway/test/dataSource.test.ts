import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ANONYMOUS, CredentialMinter, generateKeyring, userViewer, type Viewer } from '@brigade/platform';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../src/context.js';
import { SubgraphDataSource } from '../src/dataSource.js';

/** A subgraph that holds every request until released, and records what it received. */
let server: Server;
let url: string;
let received: { body: string; authorization: string }[];
let held: ServerResponse[];
let minter: CredentialMinter;

beforeAll(async () => {
  const keyring = await generateKeyring();
  minter = new CredentialMinter('gateway', keyring.privateKeys.gateway);
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      received.push({ body, authorization: String(req.headers.authorization) });
      held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received = [];
  held = [];
});

const source = (timeoutMs = 10_000, dedupe = true) =>
  new SubgraphDataSource({ name: 'menu', url, minter, timeoutMs, connections: 8, dedupe });

function call(ds: SubgraphDataSource, query: string, viewer: Viewer, operation: 'query' | 'mutation' = 'query') {
  const context: GatewayContext = { viewer, requestId: `r-${Math.random()}`, logger: undefined as never, clientIp: '127.0.0.1' };
  return ds.process({
    kind: 'incoming operation',
    request: { query },
    context,
    incomingRequestContext: { operation: { operation }, context } as never,
  } as GraphQLDataSourceProcessOptions<GatewayContext>);
}

async function answerAll(count: number): Promise<void> {
  while (held.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  for (const res of held)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { menu: [{ name: 'Wine' }] } }));
}

describe('SubgraphDataSource in-flight sharing', () => {
  it('when the same viewer sends the same query twice at once, then the subgraph is called once and each caller gets its own copy', async () => {
    const ds = source();
    // Credentials are cached per viewer once minted: sharing needs the same credential, as after the first request.
    await minter.mint('menu', ANONYMOUS);
    const both = Promise.all([call(ds, '{ menu { name } }', ANONYMOUS), call(ds, '{ menu { name } }', ANONYMOUS)]);
    await answerAll(1);
    const [first, second] = await both;
    expect(received).toHaveLength(1);
    expect(first.data).toEqual({ menu: [{ name: 'Wine' }] });
    expect(second.data).toEqual(first.data);
    expect(second.data).not.toBe(first.data);
    await ds.close();
  });

  it('when sharing is turned off (DEDUPE_SUBGRAPH_FETCHES=false), then the same query twice at once is two calls', async () => {
    const ds = source(10_000, false);
    await minter.mint('menu', ANONYMOUS);
    const both = Promise.all([call(ds, '{ menu { name } }', ANONYMOUS), call(ds, '{ menu { name } }', ANONYMOUS)]);
    await answerAll(2);
    await both;
    expect(received).toHaveLength(2);
    await ds.close();
  });

  it('when two viewers send the same query at once, then each one is its own call with its own credential', async () => {
    const ds = source();
    const both = Promise.all([call(ds, '{ menu { name } }', userViewer('u1', '')), call(ds, '{ menu { name } }', userViewer('u2', ''))]);
    await answerAll(2);
    await both;
    expect(received).toHaveLength(2);
    expect(received[0]!.authorization).not.toBe(received[1]!.authorization);
    await ds.close();
  });

  it('when the same mutation is sent twice at once, then it reaches the subgraph twice', async () => {
    const ds = source();
    const both = Promise.all([call(ds, 'mutation { a }', ANONYMOUS, 'mutation'), call(ds, 'mutation { a }', ANONYMOUS, 'mutation')]);
    await answerAll(2);
    await both;
    expect(received).toHaveLength(2);
    await ds.close();
  });

  it('when a shared call has finished, then the next identical query calls the subgraph again', async () => {
    const ds = source();
    const first = call(ds, '{ menu { name } }', ANONYMOUS);
    await answerAll(1);
    await first;
    held = [];
    const second = call(ds, '{ menu { name } }', ANONYMOUS);
    await answerAll(1);
    await second;
    expect(received).toHaveLength(2);
    await ds.close();
  });

  it('when the subgraph does not answer within the timeout, then every sharer gets a timed-out error', async () => {
    const ds = source(200);
    await minter.mint('menu', ANONYMOUS);
    const results = await Promise.allSettled([call(ds, '{ slow }', ANONYMOUS), call(ds, '{ slow }', ANONYMOUS)]);
    expect(received).toHaveLength(1);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason.message)).toContain('Subgraph menu timed out');
    }
    for (const res of held) res.destroy();
    await ds.close();
  });
});
