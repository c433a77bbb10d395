import { PGlite } from './pgliteEngine.js';
import { existsSync, fsyncSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { clusterTemplateDir, clusterTemplateTar, copyCluster } from './clusterTemplate.js';
import { notifyChannel, schemaName, type Database, type Queryable } from './database.js';
import { takeLock } from './lockHolder.js';

/**
 * PostgreSQL allocates and touches its shared buffers at start: the default 128 MB was most of each
 * PGlite instance's memory (six instances in one process: 1.23 GB at 128 MB, 0.44 GB at 16 MB), while a
 * service's whole database is a few MB, which 16 MB still caches entirely.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * Embedded PostgreSQL, with the service's tables in `schema`. PGlite is one connection, so its transactions
 * run one at a time: that is what makes stock changes atomic on it, and why no connection pool exists here.
 *
 * Services of one process that name the same data folder share one PGlite, each in its own schema, as they
 * would share a PostgreSQL server: the embedded development stack opens, copies and caches one cluster
 * instead of six. A folder belongs to one process (PGlite has no server to share it through): another
 * process opening it is refused while the first holds it. In memory (no folder) every call is its own database.
 */
export async function openPGlite(dataDir: string | undefined, schema: string, options: { durable?: boolean } = {}): Promise<Database> {
  schemaName(schema);
  const durable = options.durable ?? false;
  if (!dataDir) {
    const cluster = new Cluster(await PGlite.create({ startParams: START_PARAMS, loadDataDir: await clusterTemplateTar() }), durable);
    return cluster.attach(schema, () => cluster.close());
  }
  const path = resolve(dataDir);
  let entry = clusters.get(path);
  if (!entry) {
    entry = { cluster: openCluster(path, durable), users: 0 };
    clusters.set(path, entry);
  }
  entry.users++;
  let cluster: Cluster;
  try {
    cluster = await entry.cluster;
    if (cluster.durable !== durable) {
      throw new Error(`${path} is already open in this process with PGLITE_FSYNC=${cluster.durable}: its services must agree`);
    }
    return await cluster.attach(schema, () => release(path));
  } catch (error) {
    await release(path);
    throw error;
  }
}

/** Open clusters by data folder, with how many services use each: the last to close closes it. */
const clusters = new Map<string, { cluster: Promise<Cluster>; users: number }>();

async function release(path: string): Promise<void> {
  const entry = clusters.get(path);
  if (!entry || --entry.users > 0) return;
  clusters.delete(path);
  const cluster = await entry.cluster.catch(() => undefined);
  if (!cluster) return;
  try {
    await cluster.close();
  } finally {
    await rm(join(path, OWNER_FILE), { force: true });
  }
}

async function openCluster(dataDir: string, durable: boolean): Promise<Cluster> {
  // A new data folder starts as a copy of the machine's empty cluster: initdb would cost seconds.
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await newCluster(dataDir);
  await claim(dataDir);
  try {
    const db = await PGlite.create({ dataDir, startParams: durable ? DURABLE_START_PARAMS : START_PARAMS });
    if (durable) syncThroughToDisk(db);
    return new Cluster(db, durable);
  } catch (error) {
    await rm(join(dataDir, OWNER_FILE), { force: true });
    throw error;
  }
}

/** Names the process that has the folder open: two PostgreSQL instances writing one cluster would corrupt it. */
const OWNER_FILE = 'brigade-owner.pid';

async function claim(dataDir: string): Promise<void> {
  const lock = await takeLock(join(dataDir, OWNER_FILE));
  if (!lock.taken) {
    throw new Error(
      `${dataDir} is in use by process ${lock.holder}: an embedded database serves one process. Stop it, or give this ` +
        'service a folder of its own (PGLITE_DIR) or a PostgreSQL server (DATABASE_URL)',
    );
  }
}

/**
 * One PGlite shared by schemas. Each call runs alone on the connection with the caller's schema first on the
 * search path: set only when the previous call was another schema's, so a service alone pays nothing for it.
 */
class Cluster {
  private searchPath?: string;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: PGlite,
    readonly durable: boolean,
  ) {}

  async attach(schema: string, close: () => Promise<void>): Promise<Database> {
    await this.exclusive(schema, () => this.db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
    const listeners = new Set<() => Promise<void>>();
    const run = <T>(work: () => Promise<T>) => this.exclusive(schema, work);
    return {
      engine: 'pglite',
      query: (sql, params) => run(() => this.db.query(sql, params as unknown[]) as never),
      exec: (sql) => run(async () => void (await this.db.exec(sql))),
      transaction: (fn) =>
        run(() =>
          this.db.transaction((tx) =>
            fn({
              query: (sql, params) => tx.query(sql, params as unknown[]) as never,
              exec: async (sql) => void (await tx.exec(sql)),
            } satisfies Queryable),
          ),
        ),
      // One process, one connection: PGlite delivers its own NOTIFYs once the transaction commits. The
      // channel names the schema (triggers notify on TG_TABLE_SCHEMA's), so schemas never hear each other.
      listen: async (topic, onPayload) => {
        const stop = await this.db.listen(notifyChannel(schema, topic), onPayload);
        const unlisten = async () => {
          if (listeners.delete(unlisten)) await stop();
        };
        listeners.add(unlisten);
        return unlisten;
      },
      close: async () => {
        await Promise.all([...listeners].map((unlisten) => unlisten()));
        await close();
      },
    };
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private exclusive<T>(schema: string, work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      if (this.searchPath !== schema) {
        await this.db.exec(`SET search_path TO ${schema}`);
        this.searchPath = schema;
      }
      return work();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
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
