import type { DocumentNode } from 'graphql';
import { gql } from 'graphql-tag';
import { readFileSync } from 'node:fs';
import type { Callers } from './callers.js';
import type { Env, ServiceConfig } from './config.js';
import { CredentialVerifier } from './credentials.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { createLogger, type Logger } from './logger.js';
import {
  createSubgraphServer,
  type SubgraphContext,
  type SubgraphResolvers,
  type SubgraphServer,
  type SubgraphServerOptions,
} from './subgraphServer.js';
import type { TextInputErrors } from './textInputs.js';

/**
 * What every subgraph module exports (`subgraphs/<name>/src/subgraph.ts`), beside its `typeDefs` and
 * `resolvers`: enough for a host — its `main.ts`, the embedded stack, the tests — to start it.
 */
export interface SubgraphModule<Config, Server extends SubgraphServer = SubgraphServer> {
  readonly name: string;
  loadConfig(env: Env): Promise<Config>;
  createServer(config: Config): Promise<Server>;
}

/** A subgraph's SDL, read relative to its module (`new URL('../schema.graphql', import.meta.url)`), never the cwd. */
export function loadTypeDefs(url: URL): DocumentNode {
  return gql(readFileSync(url, 'utf8'));
}

/** What a subgraph's `start` builds on: its migrated database, its logger and its configuration. */
export interface SubgraphKit<Config> {
  readonly config: Config;
  readonly db: Database;
  readonly logger: Logger;
  /**
   * Runs `close` when the subgraph stops, or when it fails to start: after its timers, before its database
   * closes, the last registered first. For what `start` opens beside the database (a LiveFeed, a saga to drain).
   */
  onClose(close: () => Promise<void>): void;
}

/** Background work repeated while the subgraph serves (a sweeper). A run still going when the next is due is not doubled. */
export interface SubgraphTimer {
  /** Names the run in the log line of a failure. */
  readonly name: string;
  readonly everyMs: number;
  /** Runs once as soon as the subgraph serves, too: in the background, so readiness never waits on it. */
  readonly atStart?: boolean;
  run(): Promise<unknown>;
}

/** What `start` returns: the service's parts, which the kit serves and stops. */
export interface SubgraphParts<Deps, RequestDeps, Extras> {
  /** Handed to every resolver through the context. */
  readonly deps: Deps;
  /** Built afresh for each request and merged into the context: per-request batch loaders and caches. */
  readonly requestDeps: () => RequestDeps;
  /** Throws when the service cannot serve; `/ready` turns 503. By default: the database answers. */
  readonly ready?: () => Promise<void>;
  readonly timers?: readonly SubgraphTimer[];
  /** Extra exact-path HTTP routes (auth's JWKS). */
  readonly routes?: SubgraphServerOptions<object, object>['routes'];
  /** Merged into the server the kit returns (auth's `rotateSigningKey`). */
  readonly extras?: Extras;
}

/** One value, or one per configuration: a code base deployed under several names (the stations) serves its own. */
type PerConfig<Config, T> = T | ((config: Config) => T);

export interface SubgraphDefinition<Config extends ServiceConfig, Deps extends object, RequestDeps extends object, Extras extends object> {
  /** The name it serves, signs and logs as. */
  readonly name: PerConfig<Config, string>;
  readonly typeDefs: PerConfig<Config, DocumentNode>;
  readonly resolvers: PerConfig<Config, SubgraphResolvers<SubgraphContext & Deps & RequestDeps>>;
  /** Its `migrations/` folder (`new URL('../migrations/', import.meta.url)`). */
  readonly migrations: URL;
  /** Which services may call which root fields; the verifier accepts exactly these issuers. */
  readonly callers: Callers;
  /** Per `Type.field`, the error a bad text argument raises instead of BAD_USER_INPUT. */
  readonly textInputErrors?: TextInputErrors;
  /** Builds the service on its migrated database, seeding its first data, and returns its parts. */
  start(kit: SubgraphKit<Config>): Promise<SubgraphParts<Deps, RequestDeps, Extras>>;
}

/**
 * A subgraph's `createServer`: opens its database, migrates it, lets `start` build (and seed) the service,
 * serves it with `createSubgraphServer`, and starts its timers. Stopping — or failing anywhere on the way —
 * ends the timers, runs what `start` registered with `onClose`, and closes the database.
 */
export function defineSubgraph<
  Config extends ServiceConfig,
  Deps extends object,
  RequestDeps extends object = object,
  Extras extends object = object,
>(definition: SubgraphDefinition<Config, Deps, RequestDeps, Extras>): (config: Config) => Promise<SubgraphServer & Extras> {
  return async (config) => {
    const name = perConfig(definition.name, config);
    const logger = createLogger(name, { level: config.logLevel });
    const db = await openDatabase({
      url: config.databaseUrl,
      schema: config.databaseSchema,
      dataDir: config.pgliteDir,
      durable: config.pgliteFsync,
    });
    const closers: (() => Promise<void>)[] = [];
    const close = async () => {
      try {
        for (const closer of [...closers].reverse()) await closer();
      } finally {
        await db.close();
      }
    };
    try {
      await migrate(db, definition.migrations);
      const parts = await definition.start({ config, db, logger, onClose: (closer) => void closers.push(closer) });
      const timers = new Timers(parts.timers ?? [], logger);
      const server = await createSubgraphServer({
        name,
        typeDefs: perConfig(definition.typeDefs, config),
        resolvers: perConfig(definition.resolvers, config),
        deps: parts.deps,
        requestDeps: parts.requestDeps,
        callers: definition.callers,
        verifier: new CredentialVerifier(name, config.trustedKeys, Object.keys(definition.callers)),
        textInputErrors: definition.textInputErrors,
        logger,
        production: config.production,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        ready: parts.ready ?? (async () => void (await db.query('SELECT 1'))),
        routes: parts.routes,
        onStop: async () => {
          await timers.stop();
          await close();
        },
      });
      timers.start();
      return Object.assign(server, parts.extras);
    } catch (error) {
      // The start-up error is the one worth reporting: a failure to close behind it would only hide it.
      await close().catch(() => undefined);
      throw error;
    }
  };
}

function perConfig<Config, T>(value: PerConfig<Config, T>, config: Config): T {
  return typeof value === 'function' ? (value as (config: Config) => T)(config) : value;
}

class Timers {
  private readonly handles: NodeJS.Timeout[] = [];
  private readonly running = new Map<SubgraphTimer, Promise<void>>();

  constructor(
    private readonly timers: readonly SubgraphTimer[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const timer of this.timers) {
      if (timer.atStart) this.tick(timer);
      const handle = setInterval(() => this.tick(timer), timer.everyMs);
      handle.unref();
      this.handles.push(handle);
    }
  }

  /** Stops every timer and waits for the runs in progress: the database must outlive them. */
  async stop(): Promise<void> {
    for (const handle of this.handles) clearInterval(handle);
    await Promise.all(this.running.values());
  }

  private tick(timer: SubgraphTimer): void {
    if (this.running.has(timer)) return;
    const run = timer
      .run()
      .then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error }, `${timer.name} failed`),
      )
      .finally(() => this.running.delete(timer));
    this.running.set(timer, run);
  }
}
