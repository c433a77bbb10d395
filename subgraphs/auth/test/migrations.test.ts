import { migrate, openDatabase, type Database } from '@brigade/platform';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, TEST_DATABASE_URL, dropSchemas, uniqueSchema } from '@brigade/testing';

const MIGRATIONS = new URL('../migrations/', import.meta.url);

describe.each(ENGINES)('auth migrations on %s', (engine) => {
  const url = engine === 'postgres' ? TEST_DATABASE_URL : undefined;
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function databaseAt001(): Promise<Database> {
    const schema = uniqueSchema('auth_m');
    const db = await openDatabase({ url, schema });
    cleanup.push(async () => {
      await db.close();
      await dropSchemas(url, [schema]);
    });
    const only001 = await mkdtemp(join(tmpdir(), 'auth-migrations-'));
    cleanup.push(() => rm(only001, { recursive: true, force: true }));
    await copyFile(new URL('001_auth.sql', MIGRATIONS), join(only001, '001_auth.sql'));
    await migrate(db, pathToFileURL(`${only001}/`));
    return db;
  }

  it('when refresh families are introduced, then existing families are backfilled and a revoked family keeps no live token', async () => {
    const db = await databaseAt001();
    await db.query(`INSERT INTO users (id, email, email_lower, name, password_hash) VALUES ('u1', 'a@x.io', 'a@x.io', 'A', 'x')`);
    const token = (id: string, family: string, revoked: boolean) =>
      db.query(
        `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at, revoked_at)
         VALUES ($1, $2, 'u1', $1, now() + interval '1 day', ${revoked ? 'now()' : 'NULL'})`,
        [id, family],
      );
    await token('live-1', 'live', false);
    await token('live-2', 'live', false);
    // A family revoked while a refresh slipped a new token past the revocation.
    await token('revoked-1', 'revoked', true);
    await token('survivor', 'revoked', false);

    expect(await migrate(db, MIGRATIONS)).toEqual(['002_refresh_families.sql', '003_api_keys.sql']);

    const families = await db.query<{ id: string; revoked: boolean }>(
      'SELECT id, revoked_at IS NOT NULL AS revoked FROM refresh_families ORDER BY id',
    );
    expect(families.rows).toEqual([
      { id: 'live', revoked: false },
      { id: 'revoked', revoked: true },
    ]);
    const live = await db.query<{ id: string }>('SELECT id FROM refresh_tokens WHERE revoked_at IS NULL ORDER BY id');
    expect(live.rows.map((r) => r.id)).toEqual(['live-1', 'live-2']);
    await expect(token('orphan', 'no-such-family', false)).rejects.toThrow();
  });
});
