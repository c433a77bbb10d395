import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A schema name no other test uses, so servers on one PostgreSQL database never see each other's rows. */
export const uniqueSchema = (prefix: string) => `${prefix}_t${randomBytes(6).toString('hex')}`;

/** Drops what a test created on PostgreSQL; nothing to do without a database URL (PGlite lives in memory). */
export async function dropSchemas(databaseUrl: string | undefined, schemas: readonly string[]): Promise<void> {
  if (!databaseUrl || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
