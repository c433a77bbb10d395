import { startStack, type Stack } from '@brigade/testing';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extraGateway, post, type ExtraGateway } from './protectionHarness.js';

const TOO_MANY = { errors: [{ message: 'Too many requests.', extensions: { code: 'RATE_LIMITED' } }] };
const LOG_IN = 'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }';
const aliasedLogIns = (n: number) =>
  `mutation { ${Array.from({ length: n }, (_, i) => `a${i}: logIn(input: { email: "victim@example.com", password: "guess${i}" }) { accessToken }`).join(' ')} }`;

describe('rate limiting and persisted operations', () => {
  let stack: Stack;
  const gateways: ExtraGateway[] = [];
  const start = async (env: Record<string, string>) => {
    const gateway = await extraGateway(stack, env);
    gateways.push(gateway);
    return gateway;
  };

  beforeAll(async () => {
    stack = await startStack({ only: ['auth'] });
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await stack?.stop();
  });

  it('when a client IP spends its budget, then HTTP 429 with Retry-After and RATE_LIMITED, before any GraphQL runs', async () => {
    const gateway = await start({ RATE_LIMIT: 'true', RATE_LIMIT_IP: '5' });
    for (let i = 0; i < 5; i++) expect((await gateway.query('{ __typename }')).status).toBe(200);
    const refused = await post(gateway.url, JSON.stringify({ query: '{ __typename }' }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.json).toEqual(TOO_MANY);
    const metrics = await (await fetch(`${gateway.origin}/metrics`)).text();
    expect(metrics).toMatch(/brigade_gateway_rate_limited_total\{kind="ip"\} 1/);
  });

  it('when rate limiting is off (the development default), then the same traffic is never refused', async () => {
    const gateway = await start({ RATE_LIMIT_IP: '2' });
    for (let i = 0; i < 4; i++) expect((await gateway.query('{ __typename }')).status).toBe(200);
  });

  it('when a user spends the per-user budget, then 429 for that user only', async () => {
    const user = await stack.signUp();
    const gateway = await start({ RATE_LIMIT: 'true', RATE_LIMIT_USER: '3', RATE_LIMIT_IP: '100' });
    for (let i = 0; i < 3; i++) expect((await gateway.query('{ __typename }', { token: user.accessToken })).status).toBe(200);
    const refused = await gateway.query('{ __typename }', { token: user.accessToken });
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect((await gateway.query('{ __typename }')).status).toBe(200);
  });

  it('when 50 logIn calls are aliased into one request, then it is refused (by the alias limit by default)', async () => {
    const gateway = await start({ RATE_LIMIT: 'true' });
    const result = await gateway.query(aliasedLogIns(50));
    expect(result.status).toBe(400);
    expect(result.data ?? null).toBeNull();
  });

  it('when the alias limit allows them, then 50 aliased logIns are rate limited as 50 calls: 429 with Retry-After', async () => {
    const gateway = await start({
      RATE_LIMIT: 'true',
      MAX_ALIASES: '100',
      MAX_ROOT_FIELDS: '100',
      MAX_TOKENS: '20000',
      RATE_LIMIT_AUTH_FIELDS: '10',
    });
    const response = await post(gateway.url, JSON.stringify({ query: aliasedLogIns(50) }));
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(response.json?.errors?.[0]).toMatchObject({ message: 'Too many requests.', extensions: { code: 'RATE_LIMITED' } });
    expect(response.json?.data ?? null).toBeNull();
  });

  it('when logIn is called one by one, then the eleventh call in the window gets 429, other fields still run', async () => {
    const gateway = await start({ RATE_LIMIT: 'true', RATE_LIMIT_AUTH_FIELDS: '10' });
    const attempt = () => gateway.query(LOG_IN, { variables: { input: { email: 'nobody@example.com', password: 'wrong-password' } } });
    for (let i = 0; i < 10; i++) {
      const result = await attempt();
      expect(result.errors?.[0]?.extensions?.code).not.toBe('RATE_LIMITED');
    }
    const refused = await attempt();
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect((await gateway.query('{ __typename }')).status).toBe(200);
  });

  it('when TRUST_PROXY is off, then x-forwarded-for does not buy a fresh budget; on, it names the client', async () => {
    const spoofed = await start({ RATE_LIMIT: 'true', RATE_LIMIT_IP: '2' });
    for (let i = 0; i < 2; i++) await spoofed.query('{ __typename }', { headers: { 'x-forwarded-for': `10.0.0.${i}` } });
    expect((await spoofed.query('{ __typename }', { headers: { 'x-forwarded-for': '10.0.0.99' } })).status).toBe(429);

    const proxied = await start({ RATE_LIMIT: 'true', RATE_LIMIT_IP: '2', TRUST_PROXY: 'true' });
    for (let i = 0; i < 2; i++) await proxied.query('{ __typename }', { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect((await proxied.query('{ __typename }', { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(429);
    expect((await proxied.query('{ __typename }', { headers: { 'x-forwarded-for': '203.0.113.8' } })).status).toBe(200);
  });

  it('when a query is registered by APQ hash, then the hash alone runs it on that gateway; another memory-backed gateway does not know it', async () => {
    const a = await start({});
    const b = await start({});
    const query = `{ __typename a${randomBytes(3).toString('hex')}: __typename }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const unknown = await post(a.url, JSON.stringify({ extensions }));
    expect(unknown.json?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(a.url, JSON.stringify({ query, extensions }))).json?.data?.__typename).toBe('Query');
    expect((await post(a.url, JSON.stringify({ extensions }))).json?.data?.__typename).toBe('Query');
    expect((await post(b.url, JSON.stringify({ extensions }))).json?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('when a persisted-operation manifest is set in production, then only its operations run, by body or by id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brigade-pq-'));
    try {
      const body = 'query Typename { __typename }';
      const id = createHash('sha256').update(body).digest('hex');
      const manifest = join(dir, 'manifest.json');
      writeFileSync(
        manifest,
        JSON.stringify({
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id, name: 'Typename', type: 'query', body }],
        }),
      );
      const gateway = await start({ NODE_ENV: 'production', RATE_LIMIT: 'false', PERSISTED_OPERATIONS: manifest });
      expect((await gateway.query(body)).data).toEqual({ __typename: 'Query' });
      const byId = await post(gateway.url, JSON.stringify({ query: body, extensions: { persistedQuery: { version: 1, sha256Hash: id } } }));
      expect(byId.json?.data).toEqual({ __typename: 'Query' });
      const other = await gateway.query('query Other { __typename }');
      expect(other.status).toBe(403);
      expect(other.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(other.data ?? null).toBeNull();
      const informative = await start({ PERSISTED_OPERATIONS: manifest });
      expect((await informative.query('query Other { __typename }')).status).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!process.env.TEST_REDIS_URL)('with Redis (TEST_REDIS_URL)', () => {
    const redisEnv = () => ({
      REDIS_URL: process.env.TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: `brigade-test-${randomBytes(6).toString('hex')}:`,
    });

    it('when two gateways share Redis, then they share one IP budget', async () => {
      const env = { ...redisEnv(), RATE_LIMIT: 'true', RATE_LIMIT_IP: '4' };
      const a = await start(env);
      const b = await start(env);
      for (const gateway of [a, b, a, b]) expect((await gateway.query('{ __typename }')).status).toBe(200);
      expect((await a.query('{ __typename }')).status).toBe(429);
      expect((await b.query('{ __typename }')).status).toBe(429);
      const separate = await start({ ...redisEnv(), RATE_LIMIT: 'true', RATE_LIMIT_IP: '4' });
      expect((await separate.query('{ __typename }')).status).toBe(200);
    });

    it('when two gateways share Redis, then the credential-field budget is shared too', async () => {
      const env = { ...redisEnv(), RATE_LIMIT: 'true', RATE_LIMIT_AUTH_FIELDS: '2' };
      const a = await start(env);
      const b = await start(env);
      const attempt = (g: ExtraGateway) =>
        g.query(LOG_IN, { variables: { input: { email: 'nobody@example.com', password: 'wrong-password' } } });
      expect((await attempt(a)).status).not.toBe(429);
      expect((await attempt(b)).status).not.toBe(429);
      expect((await attempt(a)).status).toBe(429);
    });

    it('when a query is registered by APQ on one gateway, then another sharing Redis runs it by hash', async () => {
      const env = redisEnv();
      const a = await start(env);
      const b = await start(env);
      const query = `{ __typename r${randomBytes(3).toString('hex')}: __typename }`;
      const extensions = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
      expect((await post(b.url, JSON.stringify({ extensions }))).json?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await post(a.url, JSON.stringify({ query, extensions }))).json?.data?.__typename).toBe('Query');
      // Registration is written in the background; the hash shows up on the other replica within moments.
      await expect
        .poll(async () => (await post(b.url, JSON.stringify({ extensions }))).json?.data?.__typename, { timeout: 5_000 })
        .toBe('Query');
    });
  });
});
