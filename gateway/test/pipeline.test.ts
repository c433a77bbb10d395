import type { Env } from '@brigade/platform';
import { startStack, type Stack } from '@brigade/testing';
import { Redis } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, loadConfig, type Gateway } from '../src/index.js';
import { RedisKeyValueCache } from '../src/redis.js';
import { post } from './protectionHarness.js';

/** A gateway in front of the stack's subgraphs whose log lines are kept, so tests can read the access log. */
async function loggedGateway(stack: Stack, env: Env) {
  const urls: Env = {};
  for (const service of Object.values(stack.services)) {
    if (service.name !== 'gateway') urls[`SUBGRAPH_${service.name.toUpperCase()}_URL`] = service.url;
  }
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  const gateway: Gateway = await createGateway(
    await loadConfig({
      PORT: '0',
      HEALTH_CHECK_INTERVAL_MS: '500',
      SERVICE_SIGNING_KEY: JSON.stringify(stack.keyring.privateKeys.gateway),
      SERVICE_TRUSTED_KEYS: JSON.stringify(stack.keyring.trusted),
      ...urls,
      ...env,
    }),
    { logger: pino({ level: 'info' }, sink) },
  );
  const url = `${await gateway.listen(0)}/graphql`;
  return { gateway, url, lines };
}

const comment = (chars: number) => `#${'x'.repeat(chars - 2)}\n`;

describe('the request pipeline', () => {
  let stack: Stack;
  let production: Awaited<ReturnType<typeof loggedGateway>>;
  let development: Awaited<ReturnType<typeof loggedGateway>>;

  beforeAll(async () => {
    stack = await startStack({ only: ['auth', 'menu'] });
    production = await loggedGateway(stack, {
      NODE_ENV: 'production',
      TRUST_PROXY: 'true',
      RATE_LIMIT_IP: '3',
      MAX_QUERY_LENGTH: '1000',
      MAX_LIST_INPUT: '2',
    });
    development = await loggedGateway(stack, { MAX_QUERY_LENGTH: '1000' });
  });
  afterAll(async () => {
    await Promise.allSettled([production?.gateway.stop(), development?.gateway.stop()]);
    await stack?.stop();
  });

  it('when the query text is over MAX_QUERY_LENGTH (comments included), then 400 before parsing; at the limit it runs', async () => {
    const at = `${comment(1000 - '{ __typename }'.length)}{ __typename }`;
    expect(at).toHaveLength(1000);
    expect((await post(development.url, JSON.stringify({ query: at }))).json?.data).toEqual({ __typename: 'Query' });
    const over = await post(development.url, JSON.stringify({ query: ` ${at}` }));
    expect(over.status).toBe(400);
    expect(over.json?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(over.json?.errors?.[0]?.message).toMatch(/1001 characters exceeds the limit of 1000/);
    const viaGet = await fetch(`${development.url}?query=${encodeURIComponent(` ${at}`)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(viaGet.status).toBe(400);
  });

  it('when an APQ registration is over the limit, then it is refused and its hash stays unknown', async () => {
    const query = `${comment(2000)}{ __typename }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const register = await post(production.url, JSON.stringify({ query, extensions }), { 'x-forwarded-for': '10.0.0.1' });
    expect(register.status).toBe(400);
    // Production never names the limit.
    expect(register.json?.errors?.[0]?.message).toBe('Operation exceeds the allowed limits.');
    const byHash = await post(production.url, JSON.stringify({ extensions }), { 'x-forwarded-for': '10.0.0.1' });
    expect(byHash.json?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('when a list input is too long in production, then the message does not name the limit', async () => {
    const result = await post(production.url, JSON.stringify({ query: '{ menu(category: DRINK) { id } }' }), {
      'x-forwarded-for': '10.0.0.2',
    });
    expect(result.status).toBe(200);
    const long = await post(
      production.url,
      JSON.stringify({
        query: 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { __typename } }',
        variables: { i: { lines: [1, 2, 3].map(() => ({ menuItemId: 'x', quantity: 1 })) } },
      }),
      { 'x-forwarded-for': '10.0.0.2' },
    );
    expect(long.json?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(long.json?.errors?.[0]?.message).toBe('A list argument has too many items.');
    expect(JSON.stringify(long.json)).not.toMatch(/\d/);
  });

  it.each([
    [
      'a 413 (body too large)',
      () =>
        post(production.url, JSON.stringify({ query: `{ __typename } ${comment(1_100_000)}` }), {
          'x-request-id': 'refused-413',
          'x-forwarded-for': '10.0.0.3',
        }),
      413,
    ],
    [
      'a 415 (not UTF-8 JSON)',
      () =>
        post(production.url, '{}', {
          'content-type': 'application/json; charset=latin1',
          'x-request-id': 'refused-415',
          'x-forwarded-for': '10.0.0.4',
        }),
      415,
    ],
    [
      'a 401 (invalid token)',
      () =>
        post(production.url, '{"query":"{ __typename }"}', {
          authorization: 'Bearer nope',
          'x-request-id': 'refused-401',
          'x-forwarded-for': '10.0.0.5',
        }),
      401,
    ],
  ])(
    'when %s is refused, then it carries x-request-id and its access-log line has the client IP TRUST_PROXY names',
    async (_name, send, status) => {
      const result = await send();
      expect(result.status).toBe(status);
      const id = `refused-${status}`;
      expect(result.headers.get('x-request-id')).toBe(id);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const line = production.lines.find((l) => l.reqId === id && l.msg === 'operation');
      expect(line).toMatchObject({ outcome: 'rejected', status, clientIp: `10.0.0.${status === 413 ? 3 : status === 415 ? 4 : 5}` });
    },
  );

  it('when the per-IP budget is spent, then the 429 carries x-request-id and is logged for that client', async () => {
    const send = (i: number) =>
      post(production.url, '{"query":"{ __typename }"}', { 'x-request-id': `budget-${i}`, 'x-forwarded-for': '10.9.9.9' });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await send(i));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(results[3]!.headers.get('x-request-id')).toBe('budget-3');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(production.lines.find((l) => l.reqId === 'budget-3' && l.msg === 'operation')).toMatchObject({
      status: 429,
      clientIp: '10.9.9.9',
    });
  });

  it('when a CORS preflight is answered, then it carries x-request-id too', async () => {
    const response = await fetch(development.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.apollographql.com', 'x-request-id': 'preflight-1' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('x-request-id')).toBe('preflight-1');
  });
});

describe.skipIf(!process.env.TEST_REDIS_URL)('the Redis APQ store (TEST_REDIS_URL)', () => {
  it('when a value is longer than the entry bound, then it is neither stored nor served', async () => {
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    const prefix = `brigade-test-${randomBytes(6).toString('hex')}:apq:`;
    try {
      const cache = new RedisKeyValueCache(redis, prefix, { maxValueLength: 10 });
      await cache.set('short', '0123456789');
      await cache.set('long', '0123456789X');
      expect(await cache.get('short')).toBe('0123456789');
      expect(await cache.get('long')).toBeUndefined();
      expect(await redis.exists(`${prefix}long`)).toBe(0);
      // Stored by an older gateway without the bound: still not served.
      await redis.set(`${prefix}old`, 'x'.repeat(50), 'EX', 60);
      expect(await cache.get('old')).toBeUndefined();
      await redis.del(`${prefix}short`, `${prefix}old`);
    } finally {
      redis.disconnect();
    }
  });
});
