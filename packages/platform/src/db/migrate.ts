import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

/** Any fixed key: serialises concurrent replicas applying the same service's migrations. */
const MIGRATION_LOCK = 7_400_412;

/**
 * Applies `NNN_name.sql` files from `folder` in order, each in its own transaction, recording them in
 * `schema_migrations`. Replicas starting together on one PostgreSQL take an advisory lock first.
 */
export async function migrate(db: Database, folder: URL): Promise<string[]> {
  const files = (await readdir(fileURLToPath(folder))).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  return db.transaction(async (tx) => {
    if (db.engine === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ version: string }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const done: string[] = [];
    for (const file of files) {
      if (applied.has(file)) continue;
      const sql = await readFile(new URL(file, folder), 'utf8');
      await tx.exec(sql);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
      done.push(file);
    }
    return done;
  });
}
