/** What services need from SQL: one dialect (PostgreSQL), served by PGlite or a PostgreSQL server. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: Row[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Which engine serves this database, for logs and health. */
  readonly engine: 'pglite' | 'postgres';
  /**
   * Calls `onPayload` with every NOTIFY on `<schema>_<topic>` (the service's schema),
   * delivered after the notifying transaction commits. Resolves once listening; the returned function stops.
   */
  listen(topic: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const TOPIC = /^[a-z_][a-z0-9_]{0,30}$/;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** `schema`, checked to be a plain lower-case identifier: it is written into SQL unquoted. */
export function schemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return schema;
}

/** The NOTIFY channel of a topic in a schema: a plain lower-case identifier, so LISTEN needs no quoting. */
export function notifyChannel(schema: string, topic: string): string {
  if (!TOPIC.test(topic)) throw new Error(`invalid notification topic: ${topic}`);
  return `${schema}_${topic}`;
}

export interface DatabaseOptions {
  /** A postgres:// URL; when absent the embedded PGlite is used. */
  url?: string;
  /** The service's own schema, on a PostgreSQL server or in a PGlite cluster that several services may share. */
  schema: string;
  /** PGlite data folder (services of one process naming the same folder share it); absent means in memory. */
  dataDir?: string;
  /**
   * PGlite in a data folder syncs every commit to disk (fsync on, through to the file system), so a host
   * crash loses no committed transaction. Ignored in memory and for PostgreSQL (the server's own setting).
   */
  durable?: boolean;
  /** Maximum pooled connections to PostgreSQL. */
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(options.url, options.schema, options.poolSize ?? 10);
  }
  const { openPGlite } = await import('./pglite.js');
  return openPGlite(options.dataDir, options.schema, { durable: options.durable });
}
