import pg from 'pg';
import { notifyChannel, schemaName, type Database, type Queryable } from './database.js';

/**
 * A pool whose connections all use the service's own schema, so one PostgreSQL server (or one database)
 * can host every service without any of them seeing another's tables.
 */
export async function openPostgres(url: string, schema: string, poolSize: number): Promise<Database> {
  schemaName(schema);
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
  const connectionOptions = {
    connectionString: url,
    options: [
      `-c search_path=${schema}`,
      '-c statement_timeout=10000',
      '-c lock_timeout=5000',
      '-c idle_in_transaction_session_timeout=30000',
    ].join(' '),
  };
  const pool = new pg.Pool({ ...connectionOptions, max: poolSize, connectionTimeoutMillis: 5_000 });
  const listener = new NotificationListener(() => new pg.Client(connectionOptions));
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
    listen: (topic, onPayload) => listener.listen(notifyChannel(schema, topic), onPayload),
    close: async () => {
      await listener.close();
      await pool.end();
    },
  };
}

const RECONNECT_MS = 1_000;

/**
 * One dedicated connection per database that LISTENs on every channel asked for (a pooled connection
 * cannot: LISTEN belongs to its session). Every replica of a service listens, so a change committed
 * through any of them reaches the subscribers of all. A lost connection is re-opened after a second and
 * listens again; what was notified meanwhile is lost (events are at most once).
 */
class NotificationListener {
  private client?: pg.Client;
  private connecting?: Promise<pg.Client>;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private retry?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly newClient: () => pg.Client) {}

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    const first = !set;
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(onPayload);
    const client = await this.connect();
    if (first) await client.query(`LISTEN ${channel}`);
    return async () => {
      if (!set.delete(onPayload) || set.size > 0) return;
      this.handlers.delete(channel);
      await this.client?.query(`UNLISTEN ${channel}`).catch(() => undefined);
    };
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = this.newClient();
      client.on('notification', (message) => {
        for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload ?? '');
      });
      const lost = () => {
        if (this.client !== client) return;
        this.client = undefined;
        client.end().catch(() => undefined);
        if (!this.closed && this.handlers.size > 0) this.retry = setTimeout(() => void this.reconnect(), RECONNECT_MS);
      };
      client.on('error', lost);
      client.on('end', lost);
      try {
        await client.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.client = client;
      this.connecting = undefined;
      return client;
    })();
    return this.connecting;
  }

  private async reconnect(): Promise<void> {
    this.retry = undefined;
    try {
      const client = await this.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    } catch {
      if (!this.closed) this.retry = setTimeout(() => void this.reconnect(), RECONNECT_MS);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.handlers.clear();
    await client?.end().catch(() => undefined);
  }
}
