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
    // Much of a whole-stack test is waiting on child processes and sockets: three files at a time keep two
    // cores busier (plain suite 148.6 s against 171.8 s with two, side by side; on a VM with slow page faults,
    // where the suite is CPU-bound, 244 / 258 s against 254 s). Timing budgets in tests leave room for that load.
    maxWorkers: 3,
    pool: 'forks',
    // Each worker imports Apollo, the gateway and PGlite once for all the files it runs, not once per file:
    // isolating files cost about a second of imports each (52 s of 121 s over the gateway and subgraph
    // suites here, 9 s of 75 s without). No test mocks modules or keeps state in a module another file reads.
    isolate: false,
    // Tests that build a bare ApolloGateway must not probe cloud metadata addresses either (see gateway/src/federation.ts).
    env: { APOLLO_TELEMETRY_DISABLED: 'true' },
  },
});
