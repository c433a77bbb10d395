import { SEED_MENU } from '@brigade/testing';
import { startStack, type Stack } from '@brigade/testing';
import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, loadConfig, type Gateway } from '../src/index.js';
import { forward } from './forward.js';

const WINE = SEED_MENU.find((i) => i.name === 'Wine')!;
const COOKIE = SEED_MENU.find((i) => i.name === 'Cookie')!;
const PARTIAL = `{ menu { name } wine: menuItem(id: "${WINE.id}") { name stock } cookie: menuItem(id: "${COOKIE.id}") { name stock } }`;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

/** Stands in for subgraphs this test does not exercise: healthy, and never asked for data. */
function healthyStub(): Server {
  return createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' });
    res.end('{}');
  });
}

/** In front of a real subgraph; when `slow`, GraphQL calls are held until released (health still answers). */
function slowProxy(target: () => string) {
  const held: ServerResponse[] = [];
  const state = { slow: false, held };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (state.slow && req.url !== '/health') return void held.push(res);
    await forward(req, Buffer.concat(chunks), res, target());
  });
  return { server, state };
}

async function waitForReady(origin: string, wanted: number): Promise<Record<string, unknown>> {
  for (;;) {
    const response = await fetch(`${origin}/ready`);
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === wanted) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('gateway resilience', () => {
  let stack: Stack;
  let stub: Server;
  let proxy: ReturnType<typeof slowProxy>;
  let production: Gateway;
  let productionOrigin: string;

  beforeAll(async () => {
    stub = healthyStub();
    const stubUrl = await listen(stub);
    proxy = slowProxy(() => stack.services.bakery.url);
    const proxyUrl = await listen(proxy.server);
    const gatewayEnv = {
      // Long enough for the healthy subgraphs on a loaded machine; the held bakery call outlives it anyway.
      SUBGRAPH_TIMEOUT_MS: '1500',
      SUBGRAPH_AUTH_URL: stubUrl,
      SUBGRAPH_ORDERS_URL: stubUrl,
      SUBGRAPH_BAKERY_URL: proxyUrl,
    };
    stack = await startStack({ only: ['menu', 'kitchen', 'bar', 'bakery'], serviceEnv: { gateway: gatewayEnv } });
    const urls = Object.fromEntries(
      (['menu', 'kitchen', 'bar'] as const).map((name) => [`SUBGRAPH_${name.toUpperCase()}_URL`, stack.services[name].url]),
    );
    production = await createGateway(
      await loadConfig({
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        DATA_DIR: 'memory',
        HEALTH_CHECK_INTERVAL_MS: '500',
        SERVICE_SIGNING_KEY: JSON.stringify(stack.keyring.privateKeys.gateway),
        SERVICE_TRUSTED_KEYS: JSON.stringify(stack.keyring.trusted),
        ...gatewayEnv,
        ...urls,
      }),
    );
    productionOrigin = new URL(await production.listen(0)).origin;
  }, 120_000);
  afterAll(async () => {
    proxy?.state.held.forEach((res) => res.destroy());
    await production?.stop();
    await stack?.stop();
    stub?.close();
    proxy?.server.close();
  });

  it('when every subgraph is up, then the gateway is ready and the query is whole', async () => {
    await waitForReady(stack.origin, 200);
    const result = await stack.query(PARTIAL);
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ wine: { name: 'Wine', stock: WINE.stock }, cookie: { name: 'Cookie', stock: COOKIE.stock } });
  });

  it('when a subgraph is stopped, then its paths fail, the rest answers, /ready names it in development only, and recovers', async () => {
    await stack.services.bar.stop();
    try {
      const result = await stack.query(PARTIAL);
      expect(result.status).toBe(200);
      expect(result.data!.menu).toHaveLength(SEED_MENU.length);
      expect(result.data!.wine).toBeNull();
      expect(result.data!.cookie).toEqual({ name: 'Cookie', stock: COOKIE.stock });
      expect(result.errors!.length).toBeGreaterThan(0);
      expect(result.errors!.every((e) => e.path?.[0] === 'wine')).toBe(true);

      expect(await waitForReady(stack.origin, 503)).toEqual({ status: 'unavailable', failing: ['bar'] });
      expect(await waitForReady(productionOrigin, 503)).toEqual({ status: 'unavailable' });
      const hidden = await fetch(`${productionOrigin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: PARTIAL }),
      });
      const text = await hidden.text();
      expect(JSON.parse(text).data.cookie).toEqual({ name: 'Cookie', stock: COOKIE.stock });
      expect(text).not.toMatch(/127\.0\.0\.1|stacktrace/);
    } finally {
      await stack.services.bar.start();
    }
    await waitForReady(stack.origin, 200);
    await waitForReady(productionOrigin, 200);
    expect((await stack.query(PARTIAL)).errors).toBeUndefined();
  });

  it('when a subgraph is slower than the timeout, then the request answers without it while the subgraph call is still pending', async () => {
    proxy.state.slow = true;
    try {
      const result = await stack.query(PARTIAL);
      expect(result.status).toBe(200);
      expect(result.data!.menu).toHaveLength(SEED_MENU.length);
      expect(result.data!.cookie).toBeNull();
      expect(result.data!.wine).toEqual({ name: 'Wine', stock: WINE.stock });
      expect(result.errors!.every((e) => e.path?.[0] === 'cookie')).toBe(true);
      expect(result.errors!.map((e) => e.message).join(' ')).toContain('timed out');
      // The gateway answered while the bakery call is still held open: it did not wait for it.
      expect(proxy.state.held.length).toBeGreaterThan(0);
      expect(proxy.state.held.some((res) => !res.writableEnded)).toBe(true);
      const next = await stack.query('{ menu { name } }');
      expect(next.status).toBe(200);
      expect(next.errors).toBeUndefined();
    } finally {
      proxy.state.slow = false;
    }
    const metrics = await (await fetch(`${stack.origin}/metrics`)).text();
    expect(metrics).toMatch(/brigade_gateway_subgraph_fetch_duration_seconds_count\{subgraph="bakery",outcome="timeout"\} [1-9]/);
  });
});
