import { createGateway, loadConfig as loadGatewayConfig } from '@brigade/gateway';
import {
  generateKeyring,
  SUBGRAPHS,
  subgraphUrlVariable,
  type Env,
  type HttpApp,
  type ServiceKeyring,
  type ServiceName,
  type SubgraphName,
} from '@brigade/platform';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SUBGRAPH_STARTS } from '../../../scripts/lib/subgraphs.js';
import { createClient, type GraphQLClient } from './client.js';
import { compiledArgs } from './compiled.js';
import { TEST_DATABASE_URL } from './engines.js';
import { scratchFolder } from './scratch.js';
import { dropSchemas } from './schemas.js';

export interface StackOptions {
  /** PostgreSQL for every service (one fresh schema each, dropped on stop); default TEST_DATABASE_URL, else PGlite. */
  databaseUrl?: string | null;
  /**
   * Keep the PGlite databases in this folder, to reopen them after the stack stops; default a throwaway folder.
   * Either way a service stopped and started again finds its data.
   */
  dataDir?: string;
  /** Variables for every service. */
  env?: Env;
  /** Variables for one service, over `env`. */
  serviceEnv?: Partial<Record<ServiceName, Env>>;
  /** Start only these subgraphs (the gateway always starts, with whatever the supergraph names). */
  only?: SubgraphName[];
  /**
   * Run these subgraphs as child processes (its compiled `main.js`) instead of in this
   * process, so a test can freeze one (`signal('SIGSTOP')`, as a GC pause or a starved CPU would) or kill it.
   */
  processes?: SubgraphName[];
}

export interface StackService {
  readonly name: ServiceName;
  /** Its GraphQL URL (stable across restarts: it listens on the same port again). */
  readonly url: string;
  readonly running: boolean;
  /** The in-process server; throws for a service started as a child process. */
  readonly app: HttpApp;
  /** The child's pid, for a service started as a child process (`StackOptions.processes`). */
  readonly pid?: number;
  /** Sends a signal to a child-process service: SIGSTOP freezes it, SIGCONT resumes it, SIGKILL kills it. */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface Stack extends GraphQLClient {
  /** The gateway's GraphQL endpoint. */
  readonly url: string;
  /** The gateway's origin (for /health, /ready, /metrics…). */
  readonly origin: string;
  readonly services: Record<ServiceName, StackService>;
  readonly keyring: ServiceKeyring;
  readonly admin: { email: string; password: string };
  /** The variables a service was started with (to start another replica of it on the same database). */
  envOf(name: ServiceName): Env;
  stop(): Promise<void>;
}

export const ADMIN = { email: 'admin@brigade.test', password: 'admin-password-for-tests' };

type Factory = (env: Env) => Promise<HttpApp>;

/** How each service starts in this process: the subgraphs as `npm start` hosts them, and the gateway. */
function factory(name: ServiceName): Factory {
  if (name === 'gateway') return async (env) => createGateway(await loadGatewayConfig(env));
  return async (env) => (await SUBGRAPH_STARTS[name](env))();
}

/** Each subgraph's entry point; a child process runs its compiled twin. */
const ENTRY_POINTS: Record<SubgraphName, { path: string; env?: Env }> = {
  auth: { path: 'subgraphs/auth/src/main.ts' },
  menu: { path: 'subgraphs/menu/src/main.ts' },
  orders: { path: 'subgraphs/orders/src/main.ts' },
  kitchen: { path: 'subgraphs/station/src/main.ts', env: { STATION: 'kitchen' } },
  bar: { path: 'subgraphs/station/src/main.ts', env: { STATION: 'bar' } },
  bakery: { path: 'subgraphs/station/src/main.ts', env: { STATION: 'bakery' } },
};

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const START_ORDER: ServiceName[] = ['auth', 'menu', 'kitchen', 'bar', 'bakery', 'orders', 'gateway'];

/**
 * Starts the whole of Brigade in this process on ephemeral ports — six subgraphs and the gateway, on fresh
 * databases (a schema each) — the way clients will see it. Always `stop()` it (afterEach / finally).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const keyring = await generateKeyring();
  const databaseUrl = options.databaseUrl === undefined ? TEST_DATABASE_URL : (options.databaseUrl ?? undefined);
  const tag = `t${randomBytes(4).toString('hex')}`;
  const wanted = new Set<ServiceName>([...(options.only ?? SUBGRAPHS), 'gateway']);
  const shared: Env = {
    LOG_LEVEL: 'silent',
    DATA_DIR: options.dataDir ?? 'memory',
    // Tests run production mode on throwaway in-memory data, which production otherwise refuses.
    ...(options.dataDir ? {} : { ALLOW_MEMORY_DATA: 'true' }),
    SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    HEALTH_CHECK_INTERVAL_MS: '500',
    // Tests sign up and log in hundreds of times: scrypt at 2^10 instead of 2^15 spares seconds of CPU per file.
    PASSWORD_HASH_COST: '10',
    ...options.env,
  };
  const urls: Env = {};
  const services = {} as Record<ServiceName, StackService>;
  const schemas: string[] = [];

  // The subgraphs of this process share one PGlite cluster, a schema each, as `npm start` runs them: one
  // cluster to copy and open instead of six (a folder in memory opens faster than a database loaded into memory).
  const scratch = databaseUrl || options.dataDir ? undefined : await scratchFolder('brigade-stack-');
  const dataRoot = options.dataDir ?? scratch;
  const children = new Set<ServiceName>(options.processes ?? []);
  /**
   * A child process cannot open the cluster this process holds: it gets a folder of its own (a copied cluster
   * opens in a fraction of the time DATA_DIR=memory takes), kept across its restarts.
   */
  const pgliteDirOf = (name: ServiceName): Env => {
    if (databaseUrl || name === 'gateway' || !dataRoot) return {};
    return { PGLITE_DIR: join(dataRoot, children.has(name) ? `pglite-${name}` : 'pglite') };
  };

  const envFor = (name: ServiceName, port: number): Env => {
    const env: Env = {
      ...shared,
      ...urls,
      PORT: String(port),
      SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys[name]),
      ...pgliteDirOf(name),
      ...options.serviceEnv?.[name],
    };
    if (databaseUrl && name !== 'gateway') {
      const schema = `${tag}_${name}`;
      if (!schemas.includes(schema)) schemas.push(schema);
      env.DATABASE_URL = databaseUrl;
      env[`${name.toUpperCase()}_DATABASE_SCHEMA`] = schema;
    }
    return env;
  };

  const removeScratch = () => (scratch ? rm(scratch, { recursive: true, force: true }) : Promise.resolve());
  try {
    for (const name of START_ORDER) {
      if (!wanted.has(name)) continue;
      if (children.has(name)) {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}/graphql`;
        urls[subgraphUrlVariable(name)] = url;
        let child: RunningChild | undefined = await startChild(name, { ...envFor(name, port), HOST: '127.0.0.1' }, url);
        services[name] = {
          name,
          url,
          get running() {
            return child !== undefined && !child.exited;
          },
          get app(): HttpApp {
            throw new Error(`${name} runs in a child process: it has no in-process app`);
          },
          get pid() {
            return child?.process.pid;
          },
          signal(signal) {
            if (child && !child.exited) child.process.kill(signal);
          },
          async stop() {
            const stopping = child;
            child = undefined;
            await stopping?.stop();
          },
          async start() {
            if (child && !child.exited) return;
            child = await startChild(name, { ...envFor(name, port), HOST: '127.0.0.1' }, url);
          },
        };
        continue;
      }
      let app = await factory(name)(envFor(name, 0));
      const url = `${await app.listen(0)}/graphql`;
      const port = Number(new URL(url).port);
      let running = true;
      if (name !== 'gateway') urls[subgraphUrlVariable(name)] = url;
      services[name] = {
        name,
        url,
        get running() {
          return running;
        },
        get app() {
          return app;
        },
        signal() {
          throw new Error(`${name} runs in this process: start it with StackOptions.processes to signal it`);
        },
        async stop() {
          if (!running) return;
          running = false;
          await app.stop();
        },
        async start() {
          if (running) return;
          app = await factory(name)(envFor(name, port));
          await app.listen(port);
          running = true;
        },
      };
    }
  } catch (error) {
    await Promise.allSettled(Object.values(services).map((s) => s.stop()));
    await dropSchemas(databaseUrl, schemas);
    await removeScratch();
    throw error;
  }

  const gatewayUrl = services.gateway.url;
  const client = createClient(gatewayUrl);
  return {
    ...client,
    url: gatewayUrl,
    origin: new URL(gatewayUrl).origin,
    services,
    keyring,
    admin: ADMIN,
    envOf: (name) => envFor(name, 0),
    async stop() {
      // The gateway first, so nothing new reaches the subgraphs while they close.
      await services.gateway?.stop();
      await Promise.allSettled(Object.values(services).map((s) => s.stop()));
      await dropSchemas(databaseUrl, schemas);
      await removeScratch();
    },
  };
}

interface RunningChild {
  readonly process: ChildProcess;
  readonly exited: boolean;
  stop(): Promise<void>;
}

/**
 * One subgraph as its own process running its compiled entry point, ready once its /health answers. stop()
 * resumes a frozen child first, asks it to drain, and kills it if it does not exit in time.
 */
async function startChild(name: ServiceName, env: Env, url: string): Promise<RunningChild> {
  const entry = ENTRY_POINTS[name as SubgraphName];
  const child = spawn(process.execPath, compiledArgs(entry.path), {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...env, ...entry.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const health = new URL('/health', url);
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`${name} exited before it was ready:\n${output}`);
    if (Date.now() - started > 60_000) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within 60 s:\n${output}`);
    }
    const up = await fetch(health, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    process: child,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** A port nothing listens on now, for a child process to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
