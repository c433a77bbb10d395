import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/database.js';

describe('embedded PGlite durability', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('when a data folder is opened durable, then PostgreSQL runs with fsync on through plain fsync, and commits survive a reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pglite-durable-'));
    dirs.push(dir);
    const db = await openDatabase({ schema: 'public', dataDir: dir, durable: true });
    try {
      expect((await db.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync).toBe('on');
      expect((await db.query<{ wal_sync_method: string }>('SHOW wal_sync_method')).rows[0]?.wal_sync_method).toBe('fsync');
      await db.exec('CREATE TABLE kept (v int)');
      await db.query('INSERT INTO kept VALUES (42)');
    } finally {
      await db.close();
    }
    const again = await openDatabase({ schema: 'public', dataDir: dir, durable: true });
    try {
      expect((await again.query<{ v: number }>('SELECT v FROM kept')).rows).toEqual([{ v: 42 }]);
    } finally {
      await again.close();
    }
  });

  it('when a data folder is opened without durable, then fsync stays off (development speed)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pglite-fast-'));
    dirs.push(dir);
    const db = await openDatabase({ schema: 'public', dataDir: dir });
    try {
      expect((await db.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync).toBe('off');
    } finally {
      await db.close();
    }
  });
});
