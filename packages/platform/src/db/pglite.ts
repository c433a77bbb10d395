import { PGlite } from '@electric-sql/pglite';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { notifyChannel, type Database, type Queryable } from './database.js';

/**
 * Embedded PostgreSQL. PGlite is one connection, so its transactions run one at a time: that is what
 * makes stock changes atomic on it, and why no connection pool exists here.
 */
export async function openPGlite(dataDir?: string): Promise<Database> {
  let db: PGlite;
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
    // A new data folder starts from the template too: initdb would cost seconds per service on first start.
    db = await PGlite.create(fresh ? { dataDir, loadDataDir: await emptyClusterTemplate() } : { dataDir });
  } else {
    db = await PGlite.create({ loadDataDir: await emptyClusterTemplate() });
  }
  return {
    engine: 'pglite',
    query: (sql, params) => db.query(sql, params as unknown[]) as never,
    exec: async (sql) => void (await db.exec(sql)),
    transaction: (fn) =>
      db.transaction((tx) =>
        fn({
          query: (sql, params) => tx.query(sql, params as unknown[]) as never,
          exec: async (sql) => void (await tx.exec(sql)),
        } satisfies Queryable),
      ),
    // One process, one connection: PGlite delivers its own NOTIFYs once the transaction commits.
    listen: async (topic, onPayload) => {
      const stop = await db.listen(notifyChannel('public', topic), onPayload);
      return () => stop();
    },
    close: () => db.close(),
  };
}

let template: Promise<Blob> | undefined;

/**
 * initdb costs ~2 s and ~800 MB per in-memory database; loading a dump of a fresh cluster costs ~0.3 s.
 * The dump is made once per PGlite version and shared by every process through the temp folder.
 */
function emptyClusterTemplate(): Promise<Blob> {
  template ??= (async () => {
    const version = pgliteVersion();
    const file = join(tmpdir(), `brigade-pglite-${version}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      const fresh = await PGlite.create();
      const dump = await fresh.dumpDataDir('none');
      await fresh.close();
      const partial = `${file}.${process.pid}.${Date.now()}`;
      await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
      await rename(partial, file);
      return dump;
    }
  })();
  return template;
}

/** The package's `exports` hide its package.json, so find it next to the resolved entry point. */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    } catch {
      // not this folder: keep climbing
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
