import { CredentialMinter, generateKeyring, SUBGRAPHS, ANONYMOUS, type ServiceKeyring } from '@brigade/platform';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnService, type ServiceProcess } from './observability.support.js';

/**
 * A `GET /ready` whose headers are sent now but finished only later: the connection is busy (not idle), so
 * the draining server keeps it, and the probe observes readiness *during* the drain.
 */
function pendingReadyProbe(origin: string): { socket: Socket; finish(): Promise<{ status: number; body: string }> } {
  const { hostname, port } = new URL(origin);
  const socket = connect(Number(port), hostname);
  socket.write(`GET /ready HTTP/1.1\r\nHost: ${hostname}\r\n`);
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  return {
    socket,
    async finish() {
      const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write('Connection: close\r\n\r\n');
      await ended;
      const [head = '', body = ''] = received.split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), body };
    },
  };
}

/** A POST whose body is only partly sent until `finish()`: an in-flight request the test controls. */
function slowPost(url: string, headers: Record<string, string>, body: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(bytes.length) } });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  req.write(bytes.subarray(0, half));
  return { response, finish: () => void req.end(bytes.subarray(half)) };
}

async function refused(origin: string): Promise<boolean> {
  try {
    await fetch(`${origin}/health`);
    return false;
  } catch {
    return true;
  }
}

function keysFor(keyring: ServiceKeyring, service: 'gateway' | 'menu') {
  return {
    SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys[service]),
    SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
  };
}

describe('graceful shutdown on SIGTERM', () => {
  let keyring: ServiceKeyring;
  let running: ServiceProcess | undefined;

  beforeAll(async () => {
    keyring = await generateKeyring();
  });
  afterEach(async () => {
    await running?.kill();
    running = undefined;
  });

  describe('the gateway', () => {
    let fake: Server;
    const held: ServerResponse[] = [];
    let fetched: () => void;
    let subgraphCalled: Promise<void>;

    beforeAll(async () => {
      subgraphCalled = new Promise((resolve) => (fetched = resolve));
      // Every subgraph is this one server: healthy, and the menu fetch hangs until the test releases it.
      fake = createServer((req: IncomingMessage, res: ServerResponse) => {
        if (req.url === '/health') return void res.writeHead(200).end('{"status":"ok"}');
        req.resume();
        held.push(res);
        fetched();
      });
      await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => {
      held.forEach((res) => res.destroy());
      fake.close();
    });

    it('when SIGTERM arrives during a request, then /ready turns 503, new connections are refused, the request completes and the process exits 0', async () => {
      const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/graphql`;
      const env: Record<string, string> = { ...keysFor(keyring, 'gateway'), SHUTDOWN_TIMEOUT_MS: '60000', HEALTH_CHECK_INTERVAL_MS: '500' };
      for (const name of SUBGRAPHS) env[`SUBGRAPH_${name.toUpperCase()}_URL`] = fakeUrl;
      running = await spawnService('gateway/src/main.ts', env);
      const gateway = running;
      while ((await fetch(`${gateway.origin}/ready`)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));

      const probe = pendingReadyProbe(gateway.origin);
      const inFlight = fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ menu { name } }' }),
      });
      await subgraphCalled;
      gateway.child.kill('SIGTERM');
      await gateway.waitForLine((line) => line.msg === 'gateway draining');

      const ready = await probe.finish();
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('{"status":"draining"}');
      expect(await refused(gateway.origin)).toBe(true);

      held[0]!
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ data: { menu: [{ __typename: 'Dish', name: 'Soup' }] } }));
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { menu: [{ name: 'Soup' }] } });
      expect(await gateway.exited).toBe(0);
    });
  });

  describe('a subgraph', () => {
    it('when SIGTERM arrives during a request, then /ready turns 503, the request completes and the process exits 0', async () => {
      running = await spawnService('subgraphs/menu/src/main.ts', { ...keysFor(keyring, 'menu'), SHUTDOWN_TIMEOUT_MS: '60000' });
      const menu = running;
      const credential = await new CredentialMinter('gateway', keyring.privateKeys.gateway).mint('menu', ANONYMOUS);
      const probe = pendingReadyProbe(menu.origin);
      const slow = slowPost(
        menu.url,
        { 'content-type': 'application/json', authorization: `Bearer ${credential}`, 'x-request-id': 'drain-1' },
        JSON.stringify({ query: '{ menu { name } }' }),
      );
      // A full round trip on a later connection: by its answer the server has read the earlier bytes.
      expect((await fetch(`${menu.origin}/health`)).status).toBe(200);
      menu.child.kill('SIGTERM');
      await menu.waitForLine((line) => line.msg === 'menu draining');

      const ready = await probe.finish();
      expect(ready.status).toBe(503);
      expect(ready.body).toContain('{"status":"draining"}');

      slow.finish();
      const response = await slow.response;
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).data.menu.length).toBeGreaterThan(0);
      expect(await menu.exited).toBe(0);
    });
  });
});
