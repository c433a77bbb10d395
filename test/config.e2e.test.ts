import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
/** The compiled entry points production runs (deploy/entrypoint.sh; the suite's global setup builds them). */
const ENTRIES: Record<string, { entry: string; env?: NodeJS.ProcessEnv }> = {
  gateway: { entry: 'gateway/dist/main.js' },
  auth: { entry: 'subgraphs/auth/dist/main.js' },
  menu: { entry: 'subgraphs/menu/dist/main.js' },
  orders: { entry: 'subgraphs/orders/dist/main.js' },
  bar: { entry: 'subgraphs/station/dist/main.js', env: { STATION: 'bar' } },
  // npm start's process for several subgraphs at once.
  'the subgraph host': { entry: 'scripts/dist/subgraph-host.js', env: { HOSTED_SERVICES: JSON.stringify({ menu: {}, kitchen: {} }) } },
};

/** Whether a service read its configuration before loading Apollo: the subgraphs and their host do. */
const PRELOAD = ['--import', './test/support/reportApollo.mjs'];
const loadsApolloFirst = (name: string) => name === 'gateway';

describe('a service started with a bad configuration', () => {
  for (const [name, { entry, env }] of Object.entries(ENTRIES)) {
    it(`when ${name} gets PORT=not-a-port, an unparsable key and an empty DATA_DIR, then it names all three and exits 1 without a stack trace${loadsApolloFirst(name) ? '' : ', before loading Apollo'}`, () => {
      const result = spawnSync(process.execPath, ['--conditions=compiled', ...PRELOAD, entry], {
        cwd: root,
        env: { PATH: process.env.PATH, ...env, PORT: 'not-a-port', SERVICE_SIGNING_KEY: '{oops', DATA_DIR: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('invalid configuration');
      expect(result.stderr).toContain('PORT');
      expect(result.stderr).toContain('SERVICE_SIGNING_KEY');
      expect(result.stderr).toContain('DATA_DIR: is empty');
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).toContain(`apollo loaded: ${loadsApolloFirst(name)}`);
    });
  }
});

describe('a service started in production on in-memory data', () => {
  for (const [name, { entry, env }] of Object.entries(ENTRIES).filter(([name]) => name !== 'gateway')) {
    it(`when ${name} gets NODE_ENV=production with DATA_DIR=memory, then it refuses to start with a message saying why and exits 1, before loading Apollo`, () => {
      const result = spawnSync(process.execPath, ['--conditions=compiled', ...PRELOAD, entry], {
        cwd: root,
        env: { PATH: process.env.PATH, ...env, NODE_ENV: 'production', DATA_DIR: 'memory' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('DATA_DIR=memory');
      expect(result.stderr).toContain('production needs DATA_DIR set to a folder on a persistent volume, or DATABASE_URL');
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).toContain('apollo loaded: false');
    });
  }
});

describe('npm start with a bad configuration', () => {
  it('when DATA_DIR is empty, then the launcher says so and exits 1 before starting anything, without a stack trace', () => {
    const result = spawnSync(process.execPath, ['--conditions=compiled', 'scripts/dist/start-all.js'], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATA_DIR is empty');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
