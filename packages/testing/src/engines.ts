/** PostgreSQL for tests that run on it too (a fresh schema per server, dropped on stop); unset: PGlite only. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export type Engine = 'pglite' | 'postgres';

/** The engines every database test runs on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const ENGINES: readonly Engine[] = TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
