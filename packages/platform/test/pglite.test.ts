import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';
import { foldersPerTest } from './folders.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { holderStamp, liveHolder } from '../src/db/lockHolder.js';

describe('embedded PGlite durability', () => {
  const folder = foldersPerTest();

  it('when a data folder is opened durable, then PostgreSQL runs with fsync on through plain fsync, and commits survive a reopen', async () => {
    const dir = await folder('pglite-durable-');
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
    const dir = await folder('pglite-fast-');
    const db = await openDatabase({ schema: 'public', dataDir: dir });
    try {
      expect((await db.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync).toBe('off');
    } finally {
      await db.close();
    }
  });
});

describe('a PGlite cluster shared by the services of one process', () => {
  const folder = foldersPerTest();
  const open: Database[] = [];
  const sharedFolder = async () => join(await folder('pglite-shared-'), 'pglite');
  const openIn = async (dataDir: string, schema: string, durable?: boolean) => {
    const db = await openDatabase({ schema, dataDir, durable });
    open.push(db);
    return db;
  };
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close().catch(() => undefined);
  });

  it('when two services open one folder, then each sees only its own schema, even with their calls interleaved', async () => {
    const dir = await sharedFolder();
    const menu = await openIn(dir, 'menu');
    const kitchen = await openIn(dir, 'kitchen');
    // The same table name in both: an unqualified name must reach the caller's own.
    await menu.exec(`CREATE TABLE items (owner text)`);
    await kitchen.exec(`CREATE TABLE items (owner text)`);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? menu.query(`INSERT INTO items VALUES ('menu')`)
          : kitchen.transaction(async (tx) => {
              await tx.query(`INSERT INTO items VALUES ('kitchen')`);
              await tx.query(`INSERT INTO items VALUES ('kitchen')`);
            }),
      ),
    );
    const owners = async (db: Database) =>
      (await db.query<{ owner: string; n: number }>('SELECT owner, count(*)::int AS n FROM items GROUP BY owner')).rows;
    expect(await owners(menu)).toEqual([{ owner: 'menu', n: 20 }]);
    expect(await owners(kitchen)).toEqual([{ owner: 'kitchen', n: 40 }]);
    expect((await menu.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s).toBe('menu');
  });

  it('when a schema notifies, then only its own listeners hear it', async () => {
    const dir = await sharedFolder();
    const bar = await openIn(dir, 'bar');
    const bakery = await openIn(dir, 'bakery');
    const heard: string[] = [];
    await bar.listen('stock_changed', (payload) => heard.push(`bar:${payload}`));
    await bakery.listen('stock_changed', (payload) => heard.push(`bakery:${payload}`));
    await bar.query(`SELECT pg_notify(current_schema() || '_stock_changed', 'x')`);
    await vi.waitFor(() => expect(heard).toEqual(['bar:x']));
    await bakery.query(`SELECT pg_notify(current_schema() || '_stock_changed', 'y')`);
    await vi.waitFor(() => expect(heard).toEqual(['bar:x', 'bakery:y']));
  });

  it('when the last service closes, then the cluster closes and its data is there for the next open', async () => {
    const dir = await sharedFolder();
    const auth = await openIn(dir, 'auth');
    const orders = await openIn(dir, 'orders');
    await auth.exec('CREATE TABLE kept (v int)');
    await auth.query('INSERT INTO kept VALUES (7)');
    await auth.close();
    // Still open for orders: closing one service leaves the others serving.
    expect((await orders.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await orders.close();
    expect(existsSync(join(dir, 'brigade-owner.pid'))).toBe(false);
    const again = await openIn(dir, 'auth');
    expect((await again.query<{ v: number }>('SELECT v FROM kept')).rows).toEqual([{ v: 7 }]);
  });

  it('when another process holds the folder, then opening it is refused with why, and a dead holder is taken over', async () => {
    const dir = await sharedFolder();
    await (await openIn(dir, 'menu')).close();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, 'brigade-owner.pid'), String(holder.pid));
      await expect(openDatabase({ schema: 'menu', dataDir: dir })).rejects.toThrow(
        `${dir} is in use by process ${holder.pid}: an embedded database serves one process`,
      );
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const taken = await openIn(dir, 'menu');
    expect((await taken.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(liveHolder(await readFile(join(dir, 'brigade-owner.pid'), 'utf8'))).toBe(process.pid);
  });

  it('when the folder names a live holder by its stamp, then opening is refused; when its pid now belongs to another process, the folder is taken over', async () => {
    const dir = await sharedFolder();
    await (await openIn(dir, 'menu')).close();
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      await once(holder, 'spawn');
      await writeFile(join(dir, 'brigade-owner.pid'), holderStamp(holder.pid));
      await expect(openDatabase({ schema: 'menu', dataDir: dir })).rejects.toThrow(`in use by process ${holder.pid}`);
      if (process.platform === 'linux') {
        // The same pid, started at another time: a process that was never the holder (after a reboot, say).
        await writeFile(join(dir, 'brigade-owner.pid'), `${holder.pid}@1`);
        const taken = await openIn(dir, 'menu');
        expect((await taken.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        expect(liveHolder(await readFile(join(dir, 'brigade-owner.pid'), 'utf8'))).toBe(process.pid);
      }
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
  });

  it("when services disagree on durability, then the second is refused instead of silently getting the first one's", async () => {
    const dir = await sharedFolder();
    await openIn(dir, 'orders', true);
    await expect(openDatabase({ schema: 'kitchen', dataDir: dir, durable: false })).rejects.toThrow('PGLITE_FSYNC=true');
  });

  it('when a schema name is not a plain identifier, then it is refused before any SQL', async () => {
    await expect(openDatabase({ schema: 'menu; DROP SCHEMA public', dataDir: await sharedFolder() })).rejects.toThrow(
      'invalid schema name',
    );
  });
});
