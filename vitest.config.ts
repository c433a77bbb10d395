import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships CommonJS (main) and ESM (module) builds. Node hands the packages we run (Apollo Server,
    // Gateway, federation) the CommonJS one while Vite would hand our sources the ESM one: two copies whose
    // GraphQLError and schema classes fail each other's instanceof checks (Apollo Server then re-wraps our
    // errors and drops their path). Tests must load the one copy production loads.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'gateway/test/**/*.test.ts',
      'subgraphs/*/test/**/*.test.ts',
      'scripts/test/**/*.test.ts',
      'bench/test/**/*.test.ts',
      'test/**/*.test.ts',
      'clients/web/test/**/*.test.ts',
    ],
    globalSetup: ['test/support/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two files at a time. Three were 13% faster on a quick VM (plain suite 148.6 s against 171.8 s, side by
    // side) and no faster on a slow one (244 / 258 s against 254 s), but under CI's load they failed four of
    // ten runs, each on another timing-fragile test: a green CI is worth more than the 13%.
    maxWorkers: 2,
    pool: 'forks',
    // Each worker imports Apollo, the gateway and PGlite once for all the files it runs, not once per file:
    // isolating files cost about a second of imports each (52 s of 121 s over the gateway and subgraph
    // suites here, 9 s of 75 s without). No test mocks modules or keeps state in a module another file reads.
    isolate: false,
    // Tests that build a bare ApolloGateway must not probe cloud metadata addresses either (see gateway/src/federation.ts).
    env: { APOLLO_TELEMETRY_DISABLED: 'true' },
  },
});
