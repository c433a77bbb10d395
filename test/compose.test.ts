import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../', import.meta.url).pathname;

async function compose(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/compose.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run compose', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('when the committed supergraph is checked, then it equals a fresh composition', async () => {
    const result = await compose(['--check']);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
  });

  it('when two subgraphs disagree, then it prints rover-style errors with codes and exits non-zero', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brigade-compose-'));
    // menu says Money.amount is Int!, this subgraph says String: a type conflict composition must reject.
    writeFileSync(
      join(dir, 'broken.graphql'),
      `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@shareable"])
      type Query { price: Money }
      type Money @shareable { amount: String!  currency: String! }
    `,
    );
    const menuSdl = readFileSync(join(root, 'subgraphs/menu/schema.graphql'), 'utf8');
    writeFileSync(join(dir, 'menu.graphql'), menuSdl);
    writeFileSync(
      join(dir, 'supergraph.yaml'),
      `federation_version: =2.14.4
subgraphs:
  menu:
    routing_url: http://localhost:4002/graphql
    schema: { file: ./menu.graphql }
  broken:
    routing_url: http://localhost:4999/graphql
    schema: { file: ./broken.graphql }
`,
    );
    const out = join(dir, 'supergraph.graphql');
    const result = await compose(['--config', join(dir, 'supergraph.yaml'), '--output', out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/error\[FIELD_TYPE_MISMATCH\]: .*Money\.amount/);
    expect(result.stderr).toContain('composition failed');
  });

  it('when a subgraph schema is not valid GraphQL, then it names the subgraph and exits non-zero', async () => {
    dir = mkdtempSync(join(tmpdir(), 'brigade-compose-'));
    writeFileSync(join(dir, 'bad.graphql'), 'type Query { oops: }');
    writeFileSync(
      join(dir, 'supergraph.yaml'),
      `subgraphs:
  bad:
    routing_url: http://localhost:1/graphql
    schema: { file: ./bad.graphql }
`,
    );
    const result = await compose(['--config', join(dir, 'supergraph.yaml'), '--output', join(dir, 'out.graphql')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/error\[INVALID_GRAPHQL\]: \[bad\]/);
  });
});
