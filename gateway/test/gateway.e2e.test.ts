import { SEED_MENU, startStack, type Stack } from '@brigade/testing';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, readSupergraphConfig } from '../../scripts/lib/composition.js';

const MENU = '{ menu { name price { amount currency } stock available } }';
const root = new URL('../../', import.meta.url);

describe('the federated stack', () => {
  let stack: Stack;
  let dir: string;
  let supergraphPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'brigade-gw-'));
    supergraphPath = join(dir, 'supergraph.graphql');
    copyFileSync(new URL('supergraph.graphql', root), supergraphPath);
    stack = await startStack({ serviceEnv: { gateway: { SUPERGRAPH_PATH: supergraphPath } } });
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the menu is queried, then menu and the three stations answer together with the seeded stock', async () => {
    const result = await stack.query(MENU);
    expect(result.status).toBe(200);
    expect(result.errors).toBeUndefined();
    const items = result.data!.menu as { name: string; price: { amount: number; currency: string }; stock: number; available: boolean }[];
    expect(items).toHaveLength(12);
    for (const seed of SEED_MENU) {
      const item = items.find((i) => i.name === seed.name);
      expect(item, seed.name).toEqual({
        name: seed.name,
        price: { amount: seed.price, currency: 'USD' },
        stock: seed.stock,
        available: seed.stock > 0,
      });
    }
    expect(items.find((i) => i.name === 'Beer')!.available).toBe(false);
  });

  it('when the request carries an x-request-id, then the response echoes it; otherwise one is generated', async () => {
    const given = await stack.query('{ __typename }', { headers: { 'x-request-id': 'test-req-42' } });
    expect(given.headers.get('x-request-id')).toBe('test-req-42');
    const generated = await stack.query('{ __typename }');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when the query is malformed, then 400 GRAPHQL_PARSE_FAILED and the gateway keeps serving', async () => {
    const result = await stack.query('{ menu { name ');
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect((await stack.query('{ menu { name } }')).status).toBe(200);
  });

  it('when a field does not exist, then 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const result = await stack.query('{ menu { nameX } }');
    expect(result.status).toBe(400);
    expect(result.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('when the body is not JSON, then 400 BAD_REQUEST and the gateway keeps serving', async () => {
    const response = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect((await stack.query('{ menu { name } }')).status).toBe(200);
  });

  it('when the body is an array (batching), then it is refused', async () => {
    const response = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('when /health and /ready are asked, then both answer 200 with every subgraph up', async () => {
    expect((await fetch(`${stack.origin}/health`)).status).toBe(200);
    expect((await fetch(`${stack.origin}/ready`)).status).toBe(200);
  });

  it('when supergraph.graphql changes, then the gateway serves the new schema without restarting', async () => {
    const fieldsOfQuery = async () => {
      const result = await stack.query('{ __type(name: "Query") { fields { name } } }');
      return (result.data!.__type.fields as { name: string }[]).map((f) => f.name);
    };
    expect(await fieldsOfQuery()).not.toContain('specials');
    const subgraphs = readSupergraphConfig(new URL('supergraph.yaml', root).pathname).map((s) =>
      s.name === 'menu'
        ? { ...s, sdl: s.sdl.replace('type Query {', 'type Query {\n  "Today\'s specials."\n  specials: [MenuItem!]!') }
        : s,
    );
    const outcome = compose(subgraphs);
    expect(outcome.errors).toEqual([]);
    // Write elsewhere and rename over the file, as editors and deploy tools do.
    writeFileSync(`${supergraphPath}.next`, outcome.supergraphSdl!);
    const { renameSync } = await import('node:fs');
    renameSync(`${supergraphPath}.next`, supergraphPath);
    await expect.poll(fieldsOfQuery, { timeout: 10_000, interval: 100 }).toContain('specials');
    // The reloaded gateway still answers the old operations.
    expect((await stack.query('{ menu { name stock } }')).data!.menu).toHaveLength(12);
    expect(readFileSync(supergraphPath, 'utf8')).toContain('specials');
  });
});
