import { PGlite } from '@electric-sql/pglite';
import { existsSync, fsyncSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterTemplateDir, clusterTemplateTar, copyCluster } from './clusterTemplate.js';
import { notifyChannel, type Database, type Queryable } from './database.js';

/**
 * PostgreSQL allocates and touches its shared buffers at start: the default 128 MB was most of each
 * PGlite instance's memory (six instances in one process: 1.23 GB at 128 MB, 0.44 GB at 16 MB), while a
 * service's whole database is a few MB, which 16 MB still caches entirely.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * Embedded PostgreSQL. PGlite is one connection, so its transactions run one at a time: that is what
 * makes stock changes atomic on it, and why no connection pool exists here.
 */
export async function openPGlite(dataDir?: string, options: { durable?: boolean } = {}): Promise<Database> {
  let db: PGlite;
  if (dataDir) {
    // A new data folder starts as a copy of the machine's empty cluster: initdb would cost seconds per service.
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await newCluster(dataDir);
    db = await PGlite.create({ dataDir, startParams: options.durable ? DURABLE_START_PARAMS : START_PARAMS });
    if (options.durable) syncThroughToDisk(db);
  } else {
    db = await PGlite.create({ startParams: START_PARAMS, loadDataDir: await clusterTemplateTar() });
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

/**
 * Copies the empty cluster beside `dataDir` and renames it into place: a start killed mid-copy leaves a partial
 * folder the next start replaces, never a `dataDir` whose PG_VERSION claims a cluster that is not all there.
 */
async function newCluster(dataDir: string): Promise<void> {
  const partial = `${dataDir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await copyCluster(await clusterTemplateDir(), partial);
    await rename(partial, dataDir);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * PGlite starts PostgreSQL with `-F` (fsync off): a commit is only in the OS page cache, and a host crash or
 * power loss can lose it — in orders and in a station independently, leaving an order without its
 * reservation or the reverse. Durable mode drops `-F` and syncs the WAL with plain fsync: PGlite's wasm
 * build turns `fdatasync` into a no-op but routes `fsync` to the file system's fsync operation.
 */
const DURABLE_START_PARAMS = [...START_PARAMS.filter((p) => p !== '-F'), '-c', 'wal_sync_method=fsync'];

/**
 * Emscripten's NODEFS (the data folder's file system) has no fsync operation, so even with fsync on a commit
 * would reach only the page cache. This gives this instance's NODEFS one that fsyncs the real file: each
 * commit then waits for the disk. A failed fsync throws (PostgreSQL treats it as fatal too), never passes silently.
 */
function syncThroughToDisk(db: PGlite): void {
  const nodefs = (db.Module as unknown as { NODEFS?: { stream_ops: Record<string, unknown> } }).NODEFS;
  if (!nodefs) throw new Error('PGlite without NODEFS: cannot make its data folder durable');
  nodefs.stream_ops.fsync = (stream: { nfd: number }) => {
    fsyncSync(stream.nfd);
    return 0;
  };
}
