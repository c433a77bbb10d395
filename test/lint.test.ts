import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** Lints `code` as if it were the file at `path` (which need not exist) and returns the rule ids it broke. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('the lint keeps the architecture', () => {
  it.each([
    [
      'a service importing another service',
      'subgraphs/orders/src/clients/menu.ts',
      "import { menu } from '@brigade/menu';\nexport { menu };\n",
      'never imports another service',
    ],
    [
      'a service reaching into another by path',
      'subgraphs/orders/src/x.ts',
      "import { x } from '../../station/src/stations.js';\nexport { x };\n",
      'never imports another service',
    ],
    [
      'domain code importing graphql',
      'subgraphs/orders/src/domain/x.ts',
      "import { GraphQLError } from 'graphql';\nexport { GraphQLError };\n",
      'Domain code is pure',
    ],
    [
      'domain code importing data access',
      'subgraphs/menu/src/domain/x.ts',
      "import { Repo } from '../data/menuRepository.js';\nexport { Repo };\n",
      'Domain code is pure',
    ],
    [
      'the platform importing a service',
      'packages/platform/src/x.ts',
      "import { orders } from '@brigade/orders';\nexport { orders };\n",
      'imports no service',
    ],
    [
      'the gateway importing a subgraph',
      'gateway/src/x.ts',
      "import { auth } from '@brigade/auth';\nexport { auth };\n",
      'never imports a subgraph',
    ],
    [
      'production code importing a test helper',
      'subgraphs/auth/src/x.ts',
      "import { startStack } from '@brigade/testing';\nexport { startStack };\n",
      'never imports test helpers',
    ],
    [
      'production code importing vitest',
      'gateway/src/x.ts',
      "import { vi } from 'vitest';\nexport { vi };\n",
      'never imports test helpers',
    ],
  ])('when a file commits %s, then lint fails naming the boundary', async (_case, path, code, boundary) => {
    const broken = await violations(path, code);
    expect(broken.some((v) => v.startsWith('no-restricted-imports') && v.includes(boundary))).toBe(true);
  });

  it('when a package imports what its package.json does not declare, then lint fails', async () => {
    const broken = await violations('subgraphs/menu/src/x.ts', "import Redis from 'ioredis';\nexport { Redis };\n");
    expect(broken.some((v) => v.startsWith('import-x/no-extraneous-dependencies') && v.includes('ioredis'))).toBe(true);
  });

  it('when a type is imported as a value, then lint fails', async () => {
    const broken = await violations('subgraphs/menu/src/x.ts', "import { Database } from '@brigade/platform';\nexport let db: Database;\n");
    expect(broken.some((v) => v.startsWith('@typescript-eslint/consistent-type-imports'))).toBe(true);
  });

  it('when a file keeps every boundary, then lint passes it', async () => {
    const clean = await violations(
      'subgraphs/orders/src/domain/x.ts',
      "import { type Database } from '@brigade/platform';\nexport let db: Database;\n",
    );
    expect(clean).toEqual([]);
  });
});
