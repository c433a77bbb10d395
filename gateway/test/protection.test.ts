import { startStack, type GraphQLResult, type Stack } from '@brigade/testing';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProtectionConfig } from '../src/protectionConfig.js';
import { extraGateway, fakeSubgraph, post } from './protectionHarness.js';

const LIMITS = {
  MAX_DEPTH: '3',
  MAX_ALIASES: '3',
  MAX_ROOT_FIELDS: '3',
  MAX_DIRECTIVES: '3',
  MAX_TOKENS: '60',
  MAX_COST: '60',
  MAX_LIST_INPUT: '3',
  MAX_BODY_BYTES: '2048',
};
const LIMIT_MESSAGE = 'Operation exceeds the allowed limits.';

function refused(result: GraphQLResult) {
  expect(result.status).toBe(400);
  expect(result.errors?.[0]?.extensions?.code).toMatch(/^GRAPHQL_(VALIDATION|PARSE)_FAILED$/);
  // Production never tells the client which number to stay under.
  expect(result.errors?.[0]?.message).toBe(LIMIT_MESSAGE);
  expect(JSON.stringify(result.errors)).not.toMatch(/\d+ (exceeded|tokens)|limit of/);
}

function allowed(result: GraphQLResult) {
  expect(result.status, JSON.stringify(result.errors)).not.toBe(400);
  expect(JSON.stringify(result.errors ?? [])).not.toContain(LIMIT_MESSAGE);
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ menuItemId: `item-${i}`, quantity: 1 }));

describe('gateway protection (production mode)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { NODE_ENV: 'production' }, only: ['auth', 'menu'], serviceEnv: { gateway: LIMITS } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const stillServing = async () => {
    const result = await stack.query('{ menu { name } }');
    expect(result.status).toBe(200);
    expect(result.data?.menu).toHaveLength(12);
  };

  it('when the depth is at the limit, then it runs; one level deeper is refused', async () => {
    allowed(await stack.query('{ order(id: "x") { customer { id } } }'));
    refused(await stack.query('{ order(id: "x") { customer { orders { __typename } } } }'));
    await stillServing();
  });

  it('when aliases are at the limit, then it runs; one more — even of __typename — is refused', async () => {
    allowed(await stack.query('{ menuItem(id: "x") { a: name b: name c: name } }'));
    refused(await stack.query('{ menuItem(id: "x") { a: name b: name c: name t: __typename } }'));
    await stillServing();
  });

  it('when root fields are at the limit, then it runs; one more is refused, fragments included', async () => {
    allowed(await stack.query('{ __typename __typename __typename }'));
    refused(await stack.query('{ __typename __typename ...F } fragment F on Query { __typename __typename }'));
    await stillServing();
  });

  it('when directives are at the limit, then it runs; one more is refused', async () => {
    allowed(await stack.query('{ menuItem(id: "x") @include(if: true) { name @skip(if: false) description @include(if: true) } }'));
    refused(
      await stack.query(
        '{ menuItem(id: "x") @include(if: true) { name @skip(if: false) description @include(if: true) price @skip(if: false) { amount } } }',
      ),
    );
    await stillServing();
  });

  it('when the document has as many tokens as allowed, then it runs; one more token is refused', async () => {
    const doc = (k: number) => `{ menuItem(id: "x") { ${'name '.repeat(k)}} }`;
    let k = 1;
    while (parses(doc(k + 1), 60)) k++;
    allowed(await stack.query(doc(k)));
    refused(await stack.query(doc(k + 1)));
    await stillServing();
  });

  it('when the estimated cost is within the limit, then it runs; a costlier selection is refused', async () => {
    // menu is @listSize(assumedSize: 50): 50 items × (object 1 + scalars 0) = 50; with price objects, 100.
    allowed(await stack.query('{ menu { name } }'));
    refused(await stack.query('{ menu { name price { amount } } }'));
    await stillServing();
  });

  it('when a list input is longer than allowed, in variables or literals, then BAD_USER_INPUT 400', async () => {
    const mutation = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { __typename } }';
    const over = await stack.query(mutation, { variables: { input: { lines: lines(4) } } });
    expect(over.status).toBe(400);
    expect(over.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const literal = await stack.query(
      `mutation { placeOrder(input: { lines: [${lines(4)
        .map((l) => `{ menuItemId: "${l.menuItemId}", quantity: 1 }`)
        .join(', ')}] }) { __typename } }`,
    );
    expect(literal.status).toBe(400);
    expect(literal.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const within = await stack.query(mutation, { variables: { input: { lines: lines(3) } } });
    expect(within.errors?.map((e) => e.extensions?.code)).not.toContain('BAD_USER_INPUT');
    await stillServing();
  });

  it('when the body is over MAX_BODY_BYTES, then 413; just under, it runs', async () => {
    const body = (size: number) => {
      const base = JSON.stringify({ query: '{ __typename }' });
      return JSON.stringify({ query: `{ __typename }${' '.repeat(size - base.length)}` });
    };
    expect((await post(stack.url, body(2048))).status).toBe(200);
    const over = await post(stack.url, body(2049));
    expect(over.status).toBe(413);
    expect(over.json?.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    await stillServing();
  });

  it('when requests are batched in an array, or not UTF-8 JSON, then they are refused', async () => {
    const batch = await post(stack.url, JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expect(batch.status).toBe(400);
    expect(batch.text).not.toContain('"data"');
    const latin1 = await post(stack.url, JSON.stringify({ query: '{ __typename }' }), {
      'content-type': 'application/json; charset=latin1',
    });
    expect(latin1.status).toBe(415);
    const notUtf8 = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(notUtf8.status).toBe(400);
  });

  it('when a simple (CSRF-able) request arrives, then it is blocked: text/plain, form POST, GET without preflight header', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    expect((await post(stack.url, query, { 'content-type': 'text/plain' })).status).toBe(400);
    expect((await post(stack.url, 'query=%7B__typename%7D', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(400);
    const get = `${stack.url}?query=${encodeURIComponent('{ __typename }')}`;
    expect((await fetch(get)).status).toBe(400);
    const preflighted = await fetch(get, { headers: { 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
    expect(((await preflighted.json()) as { data: unknown }).data).toEqual({ __typename: 'Query' });
  });

  it('when a cross-origin preflight comes from an origin not listed (production lists none), then no Access-Control-Allow-Origin', async () => {
    const response = await fetch(stack.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/Origin/);
    const simple = await post(stack.url, JSON.stringify({ query: '{ __typename }' }), { origin: 'https://evil.example' });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('when introspection is attempted, then it is refused; suggestions never appear; no landing page', async () => {
    const introspection = await stack.query('{ __schema { queryType { name } } }');
    expect(introspection.status).toBe(400);
    expect(introspection.data ?? null).toBeNull();
    expect((await stack.query('{ __type(name: "Query") { name } }')).status).toBe(400);
    for (const typo of [
      '{ menu { nam } }',
      '{ men { name } }',
      '{ menu(categry: DRINK) { name } }',
      '{ menu(category: DRINKS) { name } }',
    ]) {
      const result = await stack.query(typo);
      expect(result.status).toBe(400);
      expect(JSON.stringify(result.errors)).not.toMatch(/Did you mean/i);
    }
    const landing = await fetch(`${stack.origin}/`, { headers: { accept: 'text/html' } });
    expect(landing.status).toBe(404);
    expect(await landing.text()).not.toMatch(/apollo|sandbox/i);
  });

  describe('errors from subgraphs', () => {
    it('when a subgraph fails with SQL and a stack trace, then the client sees a bare INTERNAL_SERVER_ERROR', async () => {
      const fake = await fakeSubgraph(() => ({
        data: null,
        errors: [
          {
            message: 'relation "menu_items" violates constraint: INSERT INTO menu_items VALUES ($1) at postgres://db.internal:5432/menu',
            path: ['menu'],
            extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: at /srv/menu/src/data/items.ts:12:5'], sql: 'SELECT 1' },
          },
        ],
      }));
      const gateway = await extraGateway(stack, { NODE_ENV: 'production', SUBGRAPH_MENU_URL: fake.url });
      try {
        const response = await post(gateway.url, JSON.stringify({ query: '{ menu { name } }' }));
        expect(response.json?.errors?.[0]).toMatchObject({
          message: 'Internal server error',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
        for (const leak of [
          'INSERT',
          'menu_items',
          'postgres://',
          'db.internal',
          'stacktrace',
          'items.ts',
          'serviceName',
          'SELECT',
          fake.url,
          '"response"',
        ]) {
          expect(response.text).not.toContain(leak);
        }
      } finally {
        await gateway.stop();
        await fake.stop();
      }
    });

    it('when a subgraph answers FORBIDDEN / BAD_USER_INPUT / UNAUTHENTICATED, then the code and message pass through, without serviceName', async () => {
      for (const code of ['FORBIDDEN', 'BAD_USER_INPUT', 'UNAUTHENTICATED']) {
        const fake = await fakeSubgraph(() => ({
          data: { menu: null },
          errors: [{ message: `nope ${code}`, path: ['menu'], extensions: { code } }],
        }));
        const gateway = await extraGateway(stack, { NODE_ENV: 'production', SUBGRAPH_MENU_URL: fake.url });
        try {
          const response = await post(gateway.url, JSON.stringify({ query: '{ menu { name } }' }));
          expect(response.json?.errors?.[0]).toMatchObject({ message: `nope ${code}`, extensions: { code } });
          expect(response.text).not.toContain('serviceName');
        } finally {
          await gateway.stop();
          await fake.stop();
        }
      }
    });

    it('when a subgraph is unreachable, then a generic SERVICE_UNAVAILABLE without its name or address', async () => {
      const fake = await fakeSubgraph(() => ({}));
      await fake.stop();
      const gateway = await extraGateway(stack, { NODE_ENV: 'production', SUBGRAPH_MENU_URL: fake.url });
      try {
        const response = await post(gateway.url, JSON.stringify({ query: '{ menu { name } }' }));
        expect(response.json?.errors?.[0]).toMatchObject({
          message: 'A service is temporarily unavailable.',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        });
        expect(response.text).not.toContain(new URL(fake.url).port);
        expect(response.text).not.toMatch(/Subgraph|SUBGRAPH_UNAVAILABLE|serviceName/);
      } finally {
        await gateway.stop();
      }
    });
  });

  it('when CORS_ORIGINS lists an origin, then its preflight is answered for it alone, with the allowed headers', async () => {
    const gateway = await extraGateway(stack, { NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example' });
    try {
      const preflight = (origin: string) =>
        fetch(gateway.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
      const ok = await preflight('https://app.example');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(ok.headers.get('vary')).toMatch(/Origin/);
      for (const header of [
        'content-type',
        'authorization',
        'apollo-require-preflight',
        'x-apollo-operation-name',
        'x-request-id',
        'traceparent',
      ]) {
        expect(ok.headers.get('access-control-allow-headers')).toContain(header);
      }
      const other = await preflight('https://app.example.evil.com');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const real = await post(gateway.url, JSON.stringify({ query: '{ __typename }' }), { origin: 'https://app.example' });
      expect(real.status).toBe(200);
      expect(real.headers.get('access-control-allow-origin')).toBe('https://app.example');
    } finally {
      await gateway.stop();
    }
  });
});

describe('development mode', () => {
  it('when a limit is hit in development, then the error names it; suggestions are kept', async () => {
    const stack = await startStack({ only: ['menu'], serviceEnv: { gateway: { MAX_ALIASES: '1' } } });
    try {
      const result = await stack.query('{ menuItem(id: "x") { a: name b: name } }');
      expect(result.status).toBe(400);
      expect(result.errors?.[0]?.message).toMatch(/Aliases limit of 1 exceeded, found 2/);
      expect(JSON.stringify((await stack.query('{ menu { nam } }')).errors)).toMatch(/Did you mean/);
      const preflight = await fetch(stack.url, { method: 'OPTIONS', headers: { origin: 'https://studio.apollographql.com' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
    } finally {
      await stack.stop();
    }
  });
});

describe('protection configuration', () => {
  it('when nothing is set, then the documented defaults apply, and production turns on the safe ones', () => {
    const dev = loadProtectionConfig({}, false);
    expect(dev.limits).toEqual({
      maxDepth: 12,
      maxAliases: 30,
      maxRootFields: 20,
      maxSelections: 2000,
      maxDirectives: 50,
      maxTokens: 2000,
      maxCost: 5000,
      defaultListSize: 10,
      maxListInput: 100,
      maxValidationErrors: 5,
      maxQueryLength: 15000,
      exposeLimits: true,
    });
    expect(dev.rateLimit).toMatchObject({
      enabled: false,
      perIp: 300,
      perUser: 600,
      perAuthField: 10,
      windowSeconds: 60,
      trustProxy: false,
    });
    expect(dev.cors.origins).toContain('https://studio.apollographql.com');
    expect(dev.hideSuggestions).toBe(false);
    const prod = loadProtectionConfig({}, true);
    expect(prod.limits.exposeLimits).toBe(false);
    expect(prod.rateLimit.enabled).toBe(true);
    expect(prod.cors.origins).toEqual([]);
    expect(prod.hideSuggestions).toBe(true);
    expect(prod.persisted.enforce).toBe(true);
    const explicit = loadProtectionConfig(
      { RATE_LIMIT: 'false', EXPOSE_LIMITS: 'true', CORS_ORIGINS: 'https://a.example, https://b.example' },
      true,
    );
    expect(explicit.rateLimit.enabled).toBe(false);
    expect(explicit.limits.exposeLimits).toBe(true);
    expect(explicit.cors.origins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('when a value is not valid, then loading fails naming the variable', () => {
    expect(() => loadProtectionConfig({ MAX_DEPTH: 'deep' }, false)).toThrow(/MAX_DEPTH/);
    expect(() => loadProtectionConfig({ TRUST_PROXY: 'maybe' }, false)).toThrow(/TRUST_PROXY/);
  });
});

function parses(document: string, maxTokens: number): boolean {
  try {
    parse(document, { maxTokens });
    return true;
  } catch {
    return false;
  }
}
