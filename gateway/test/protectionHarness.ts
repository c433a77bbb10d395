import { createClient, type GraphQLClient, type Stack } from '@brigade/testing';
import type { Env } from '@brigade/platform';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, loadConfig, type Gateway } from '../src/index.js';

export interface ExtraGateway extends GraphQLClient {
  readonly url: string;
  readonly origin: string;
  readonly gateway: Gateway;
  stop(): Promise<void>;
}

/**
 * One more gateway in front of a running stack's subgraphs, with its own settings — so one stack serves
 * tests that each need a different gateway configuration (limits, rate budgets, Redis prefixes).
 */
export async function extraGateway(stack: Stack, env: Env = {}): Promise<ExtraGateway> {
  const urls: Env = {};
  for (const service of Object.values(stack.services)) {
    if (service.name !== 'gateway') urls[`SUBGRAPH_${service.name.toUpperCase()}_URL`] = service.url;
  }
  const gateway = await createGateway(
    await loadConfig({
      LOG_LEVEL: 'silent',
      PORT: '0',
      HEALTH_CHECK_INTERVAL_MS: '500',
      SERVICE_SIGNING_KEY: JSON.stringify(stack.keyring.privateKeys.gateway),
      SERVICE_TRUSTED_KEYS: JSON.stringify(stack.keyring.trusted),
      ...urls,
      ...env,
    }),
  );
  const url = `${await gateway.listen(0)}/graphql`;
  return { ...createClient(url), url, origin: new URL(url).origin, gateway, stop: () => gateway.stop() };
}

/** A stand-in subgraph that answers every request with `respond`'s JSON: for errors a real one will not make on demand. */
export async function fakeSubgraph(respond: (body: { query?: string }) => unknown): Promise<{ url: string; stop(): Promise<void> }> {
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as { query?: string }) : {};
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(respond(body)));
  };
  // A request the gateway gives up on mid-body (its timeout, its shutdown) is dropped; any other failure is the
  // test's own bug and stays loud.
  const server = createServer(
    (req, res) =>
      void answer(req, res).catch((error: unknown) => {
        if (!req.destroyed) throw error;
        res.destroy();
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Raw POST to the gateway, for requests the GraphQL client would never send. */
export async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  let json: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
