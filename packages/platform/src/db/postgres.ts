import pg from 'pg';
import type { Database, Queryable } from './database.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A pool whose connections all use the service's own schema, so one PostgreSQL server (or one database)
 * can host every service without any of them seeing another's tables.
 */
export async function openPostgres(url: string, schema: string, poolSize: number): Promise<Database> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  try {
    await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (error) {
    // Two services starting together may race to create the schema; the loser sees a unique violation.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await setup.end();
  }
  // Bounded waits everywhere: a saturated pool, a lock held by a stuck transaction or a slow query fails
  // the request instead of hanging it (callers such as orders have long given up by then).
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    options: [
      `-c search_path=${schema}`,
      '-c statement_timeout=10000',
      '-c lock_timeout=5000',
      '-c idle_in_transaction_session_timeout=30000',
    ].join(' '),
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener node would crash.
  pool.on('error', () => undefined);
  return {
    engine: 'postgres',
    query: (sql, params) => pool.query(sql, params as unknown[]) as never,
    exec: async (sql) => void (await pool.query(sql)),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          query: (sql, params) => client.query(sql, params as unknown[]) as never,
          exec: async (sql) => void (await client.query(sql)),
        };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
