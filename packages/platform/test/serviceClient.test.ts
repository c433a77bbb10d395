import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialMinter, generateServiceKey } from '../src/credentials.js';
import { DEADLINE_HEADER, REQUEST_ID_HEADER, TIMEOUT_HEADER } from '../src/http.js';
import { ServiceClient } from '../src/serviceClient.js';
import { ServiceCallError } from '../src/serviceTransport.js';

/** A callee whose answer each test chooses; it records the headers it received. */
let server: Server;
let url: string;
let received: IncomingHttpHeaders[];
let answer: (res: ServerResponse) => void;
let minter: CredentialMinter;

beforeAll(async () => {
  minter = new CredentialMinter('orders', (await generateServiceKey('orders')).privateJwk);
  server = createServer((req, res) => {
    received.push(req.headers);
    req.resume().on('end', () => answer(res));
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
});

const json = (status: number, body: unknown) => (res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

async function failure(call: Promise<unknown>): Promise<ServiceCallError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceCallError);
  return error as ServiceCallError;
}

describe('ServiceClient', () => {
  it('when the callee answers data, then the call returns it, having sent a credential, the request id and the deadline', async () => {
    const client = new ServiceClient({ minter, target: 'menu', url, timeoutMs: 5_000 });
    answer = json(200, { data: { ok: true } });
    await expect(client.request('{ ok }', {}, { requestId: 'r-1', timeoutMs: 1_500 })).resolves.toEqual({ ok: true });
    expect(received[0]!.authorization).toMatch(/^Bearer ey/);
    expect(received[0]![REQUEST_ID_HEADER]).toBe('r-1');
    expect(received[0]![TIMEOUT_HEADER]).toBe('1500');
    expect(Number(received[0]![DEADLINE_HEADER])).toBeGreaterThan(Date.now());
    await client.close();
  });

  it('when the callee answers errors, then a 5xx without data is unavailable and anything else is a graphql failure, with the codes', async () => {
    const client = new ServiceClient({ minter, target: 'menu', url, timeoutMs: 5_000 });
    answer = json(503, { errors: [{ message: 'draining', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    expect(await failure(client.request('{ ok }'))).toMatchObject({
      kind: 'unavailable',
      codes: ['SERVICE_UNAVAILABLE'],
      message: 'menu: draining',
    });
    answer = json(200, { data: null, errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }] });
    expect(await failure(client.request('{ ok }'))).toMatchObject({ kind: 'graphql', codes: ['FORBIDDEN'] });
    answer = (res) => res.writeHead(502).end('bad gateway');
    expect(await failure(client.request('{ ok }'))).toMatchObject({ kind: 'unavailable', message: 'menu: HTTP 502 without a JSON body' });
    await client.close();
  });

  it('when the callee holds the answer past the timeout, then the call ends as a timeout by then', async () => {
    const client = new ServiceClient({ minter, target: 'menu', url, timeoutMs: 5_000 });
    const held: ServerResponse[] = [];
    answer = (res) => held.push(res);
    const started = Date.now();
    expect(await failure(client.request('{ ok }', {}, { timeoutMs: 150 }))).toMatchObject({ kind: 'timeout', message: 'menu: timed out' });
    expect(Date.now() - started).toBeLessThan(1_000);
    for (const res of held) res.destroy();
    await client.close();
  });

  it('when no time is left, then nothing is sent; when nothing listens, then the callee is unavailable', async () => {
    const client = new ServiceClient({ minter, target: 'menu', url, timeoutMs: 5_000 });
    expect(await failure(client.request('{ ok }', {}, { timeoutMs: 0 }))).toMatchObject({
      kind: 'timeout',
      message: 'menu: no time left to call',
    });
    expect(received).toHaveLength(0);
    await client.close();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const nobody = new ServiceClient({ minter, target: 'menu', url: `http://127.0.0.1:${port}/graphql`, timeoutMs: 5_000 });
    expect(await failure(nobody.request('{ ok }'))).toMatchObject({ kind: 'unavailable' });
    await nobody.close();
  });
});
