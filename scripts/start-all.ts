/**
 * `npm start`: runs the compiled stack (`npm run build` output; the npm script builds first when a source
 * is newer) on embedded databases kept in .data/ across restarts: the six subgraphs in START_PROCESSES
 * processes (default 1: one Node runtime and one copy of the modules for all six; 6 = one process per
 * service, as production runs them) and, alongside, the gateway in its own process; waits until each is ready,
 * builds the web app when its sources changed and serves it (WEB_PORT, default 4100), prints the web app's
 * and the gateway's URLs, and on Ctrl-C stops them all cleanly. The supergraph is recomposed only when a
 * subgraph schema or supergraph.yaml changed since the last start.
 */
// The platform's keys and services only, not its index: the launcher has no use for Apollo, PGlite or pino.
import { generateKeyring, loadDevKeyring } from '@brigade/platform/keys';
import { holderStamp, liveHolder } from '@brigade/platform/lockHolder';
import { DEFAULT_PORTS, SUBGRAPHS, subgraphUrlVariable, type ServiceName, type SubgraphName } from '@brigade/platform/services';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './lib/root.js';

const started = Date.now();
/** Compiled entry points (`npm run build`: each package's src/ → dist/), as deploy/entrypoint.sh runs them. */
const ENTRY: Record<ServiceName, string> = {
  auth: 'subgraphs/auth/dist/main.js',
  menu: 'subgraphs/menu/dist/main.js',
  orders: 'subgraphs/orders/dist/main.js',
  kitchen: 'subgraphs/station/dist/main.js',
  bar: 'subgraphs/station/dist/main.js',
  bakery: 'subgraphs/station/dist/main.js',
  gateway: 'gateway/dist/main.js',
};
const SUBGRAPH_HOST_ENTRY = resolve(ROOT, 'scripts/dist/subgraph-host.js');
/** Start order, dependencies first: orders calls the menu and the stations. */
const SUBGRAPH_ORDER: SubgraphName[] = ['auth', 'menu', 'kitchen', 'bar', 'bakery', 'orders'];
const host = process.env.HOST ?? '127.0.0.1';
const portOf = (name: ServiceName) => Number(process.env[`${name.toUpperCase()}_PORT`] ?? DEFAULT_PORTS[name]);
/** Packages resolve to their dist/ (the `compiled` export condition) instead of their TypeScript sources. */
const NODE_FLAGS = ['--conditions=compiled'];
const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
const DEFAULT_WEB_PORT = 4100;
const webPort = Number(process.env.WEB_PORT ?? DEFAULT_WEB_PORT);
const webDist = resolve(process.env.WEB_DIST ?? resolve(ROOT, 'clients/web/dist'));
/** What the web app's bundle is made of: a change to any of these rebuilds it. */
const WEB_INPUTS = [
  'clients/web/src',
  'clients/web/index.html',
  'clients/web/vite.config.ts',
  'clients/web/scripts',
  'clients/operations',
  'supergraph.graphql',
];

const THROWAWAY_PREFIX = 'brigade-memory-';
const THROWAWAY_OWNER = 'launcher.pid';

const processes = Number(process.env.START_PROCESSES ?? 1);
if (!Number.isInteger(processes) || processes < 1 || processes > SUBGRAPHS.length) {
  console.error(`START_PROCESSES must be a whole number from 1 to ${SUBGRAPHS.length} (got ${process.env.START_PROCESSES})`);
  process.exit(1);
}

// One keyring for the seven processes, handed to each: kept in the data folder, or fresh when in memory.
// The default is the platform's DEFAULT_DATA_DIR: the repository's .data folder.
const dataDir = process.env.DATA_DIR ?? resolve(ROOT, '.data');
if (!dataDir) {
  console.error('DATA_DIR is empty: set a folder, or memory for throwaway data (unset, it is the .data folder)');
  process.exit(1);
}
const keyring = dataDir === 'memory' ? await generateKeyring() : await loadDevKeyring(dataDir);

// The platform's rule (config.ts): PRODUCTION when set, else NODE_ENV.
const production = process.env.PRODUCTION ? ['true', '1', 'yes'].includes(process.env.PRODUCTION) : process.env.NODE_ENV === 'production';

/**
 * With DATA_DIR=memory the databases are still thrown away, but kept in a temp folder removed at exit: in PGlite's
 * in-memory file system every service would load a whole cluster into its own heap (~2 s and ~95 MB each, six
 * times over), where a folder lets the six share one cluster, copied from the template, as they do on disk.
 * In production memory stays each service's own decision (refused unless ALLOW_MEMORY_DATA).
 */
const throwawayDir = dataDir === 'memory' && !process.env.DATABASE_URL && !production ? makeThrowawayDir() : undefined;

function makeThrowawayDir(): string {
  sweepThrowawayDirs();
  const dir = mkdtempSync(join(tmpdir(), THROWAWAY_PREFIX));
  writeFileSync(join(dir, THROWAWAY_OWNER), holderStamp());
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Removes the throwaway folders of launchers that died without their exit handler (SIGKILL, a crash). */
function sweepThrowawayDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(THROWAWAY_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    // No stamp yet: a launcher that is making it right now.
    const stamp = existsSync(join(dir, THROWAWAY_OWNER)) ? readFileSync(join(dir, THROWAWAY_OWNER), 'utf8') : '';
    if (stamp && liveHolder(stamp) === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Recomposes supergraph.graphql (and the stations' generated SDL) when any input or output changed since
 * the last composition this checkout ran; composing loads @apollo/composition, which a restart need not.
 */
async function composeIfChanged(): Promise<void> {
  const stamp = resolve(ROOT, 'scripts/dist/.compose-stamp');
  const fingerprint = () => {
    const hash = createHash('sha256');
    const yaml = readFileSync(resolve(ROOT, 'supergraph.yaml'), 'utf8');
    const files = [...yaml.matchAll(/^\s*file:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
    for (const file of [
      'supergraph.yaml',
      'supergraph.graphql',
      'subgraphs/station/schema.graphql',
      'subgraphs/station/src/stations.ts',
      ...files,
    ]) {
      const path = resolve(ROOT, file);
      hash.update(`${file}\0${existsSync(path) ? readFileSync(path, 'utf8') : ''}\0`);
    }
    return hash.digest('hex');
  };
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === fingerprint()) return;
  const { compose, readSupergraphConfig, renderStationSchemas } = await import('./lib/composition.js');
  renderStationSchemas();
  const outcome = compose(readSupergraphConfig());
  if (!outcome.supergraphSdl) {
    for (const error of outcome.errors) console.error(`error[${error.code}]: ${error.message}`);
    throw new Error('the subgraph schemas do not compose');
  }
  const supergraphPath = resolve(ROOT, 'supergraph.graphql');
  if (readFileSync(supergraphPath, 'utf8') !== outcome.supergraphSdl) writeFileSync(supergraphPath, outcome.supergraphSdl);
  writeFileSync(stamp, fingerprint());
}

/**
 * Where each process keeps its subgraphs' databases: with every subgraph in one process, the platform's default
 * (one PGlite cluster in DATA_DIR/pglite, a schema per service, opened once for all six); with several processes,
 * a cluster per process, since a PGlite data folder belongs to one process. DATA_DIR=memory puts them in the
 * throwaway folder; with DATABASE_URL there are none.
 */
function clusterOf(names: SubgraphName[]): string | undefined {
  const base = throwawayDir ?? (dataDir === 'memory' ? undefined : dataDir);
  if (processes === 1) return process.env.PGLITE_DIR ?? (base && join(base, 'pglite'));
  return base && join(base, `pglite-${names.join('-')}`);
}

/**
 * On a start that creates a database, makes PGlite's empty cluster (once per machine) in a process of its own
 * from the first moment, on the other core while the launcher composes and the subgraphs load their code; the
 * subgraphs wait for it rather than run initdb themselves. A restart, or PostgreSQL, needs none.
 */
function makeClusterTemplateEarly(): void {
  if (process.env.DATABASE_URL) return;
  const clusters = groups().map(clusterOf);
  if (clusters.every((dir) => dir && existsSync(join(dir, 'PG_VERSION')))) return;
  const maker = spawn(process.execPath, [resolve(ROOT, 'packages/platform/dist/db/makeClusterTemplate.js')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Among the children while it works, so a stop in the first seconds stops it too.
  children.set('template', maker);
  maker.once('exit', () => children.delete('template'));
}

/** Earlier versions kept a cluster per service in DATA_DIR/<service>: say that they are no longer read. */
function noticeEarlierLayout(): void {
  if (dataDir === 'memory' || process.env.DATABASE_URL) return;
  const earlier = SUBGRAPHS.filter((name) => existsSync(join(dataDir, name, 'PG_VERSION')));
  if (earlier.length === 0 || existsSync(join(dataDir, 'pglite', 'PG_VERSION'))) return;
  console.log(
    `Note: the databases now live in one cluster, ${join(dataDir, 'pglite')}; the folders of an earlier version ` +
      `(${earlier.map((name) => join(dataDir, name)).join(', ')}) are no longer read and may be deleted.`,
  );
}

const children = new Map<ServiceName | 'web' | 'template', ChildProcess>();
let stopping = false;

/** What one service is given: its port, key, station and where every other subgraph answers. */
function serviceEnv(name: ServiceName): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PORT: String(portOf(name)),
    HOST: host,
    SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys[name]),
    SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
  };
  if (name === 'kitchen' || name === 'bar' || name === 'bakery') env.STATION = name;
  // The gateway's development CORS list names the web app on its default port; another port is added here.
  if (name === 'gateway' && !process.env.CORS_ORIGINS && webPort !== DEFAULT_WEB_PORT) {
    env.CORS_ORIGINS = ['https://studio.apollographql.com', `http://localhost:${portOf('gateway')}`]
      .concat([`http://localhost:${webPort}`, `http://127.0.0.1:${webPort}`, `http://${shownHost}:${webPort}`])
      .join(',');
  }
  for (const other of SUBGRAPH_ORDER) {
    const variable = subgraphUrlVariable(other);
    env[variable] = process.env[variable] ?? `http://${host}:${portOf(other)}/graphql`;
  }
  return env;
}

/** The subgraphs split into `processes` groups, each in start order. */
function groups(): SubgraphName[][] {
  const out: SubgraphName[][] = Array.from({ length: processes }, () => []);
  SUBGRAPH_ORDER.forEach((name, i) => out[i % processes]!.push(name));
  return out;
}

/**
 * Stopped while starting (Ctrl-C before ready): stopAll waits only for the children it knew of, so a process
 * started now would outlive the launcher, holding its port.
 */
function refuseIfStopping(): void {
  if (stopping) throw new Error('stopped');
}

function launch(label: string, args: string[], env: NodeJS.ProcessEnv, names: (ServiceName | 'web')[]): void {
  refuseIfStopping();
  const child = spawn(process.execPath, [...NODE_FLAGS, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = label.padEnd(7);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`${prefix} | ${line}`));
  }
  child.on('exit', (code, signal) => {
    for (const name of names) children.delete(name);
    if (!stopping) {
      console.error(`${label} exited unexpectedly (${signal ?? code}); stopping everything.`);
      void stopAll(1);
    }
  });
  for (const name of names) children.set(name, child);
}

function launchSubgraphs(names: SubgraphName[]): void {
  const cluster = clusterOf(names);
  // With one process the services find DATA_DIR/pglite themselves (and production its folder per service).
  const envOf = (name: SubgraphName) => ({
    ...serviceEnv(name),
    ...(cluster && (processes > 1 || throwawayDir) ? { PGLITE_DIR: cluster } : {}),
  });
  if (names.length === 1) {
    // A process of its own: the service's own entry point, as production runs it.
    const [name] = names as [SubgraphName];
    launch(name, [resolve(ROOT, ENTRY[name])], envOf(name), names);
    return;
  }
  const hosted = Object.fromEntries(names.map((name) => [name, envOf(name)]));
  launch(
    names.length === SUBGRAPH_ORDER.length ? 'subgraphs' : names.join('+'),
    [SUBGRAPH_HOST_ENTRY],
    { HOSTED_SERVICES: JSON.stringify(hosted) },
    names,
  );
}

function launchGateway(): void {
  // Health is polled every second (not 5): the gateway starts alongside the subgraphs, and its /ready
  // turns green at the first poll after they are up.
  const env = { ...serviceEnv('gateway'), HEALTH_CHECK_INTERVAL_MS: process.env.HEALTH_CHECK_INTERVAL_MS ?? '1000' };
  // The gateway allocates a response tree per request: a larger young generation halves its GC pauses.
  launch('gateway', ['--max-semi-space-size=32', resolve(ROOT, ENTRY.gateway)], env, ['gateway']);
}

/** The newest modification time under `path` (a file or a folder). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

/**
 * Builds the web app (codegen, Vite, the persisted query manifest) into WEB_DIST unless its last build is
 * newer than every input. A child process: Vite and codegen are build tools the stack itself never loads.
 */
async function buildWebAppIfStale(): Promise<void> {
  const built = join(webDist, 'index.html');
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...WEB_INPUTS.map((input) => newest(resolve(ROOT, input))))) return;
  refuseIfStopping();
  console.log('web     | building the web app');
  const build = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'clients/web/scripts/build.ts')], {
    cwd: ROOT,
    env: { ...process.env, WEB_DIST: webDist },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // Counted as the web app's process while it builds, so a stop waits for it and stops it too.
  children.set('web', build);
  const code = await new Promise<number | null>((done) => build.once('exit', done));
  children.delete('web');
  if (code !== 0) throw new Error(`the web app did not build (exit ${code})`);
}

function launchWeb(gateway: string): void {
  const env = { WEB_PORT: String(webPort), HOST: host, WEB_GRAPHQL_URL: `${gateway}/graphql`, WEB_DIST: webDist };
  launch('web', [resolve(ROOT, 'clients/web/dist-server/main.js')], env, ['web']);
}

async function waitReady(name: ServiceName | 'web', timeoutMs = 180_000): Promise<void> {
  const url = name === 'web' ? `http://${host}:${webPort}/health` : `http://${host}:${portOf(name)}/ready`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!children.has(name)) throw new Error(`${name} exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready within ${timeoutMs / 1000} s (${url})`);
}

let stopped: Promise<never> | undefined;

/** Stops every child, then exits with `code`; later calls (a second Ctrl-C, a child's exit) join the first. */
function stopAll(code: number): Promise<never> {
  stopped ??= stopChildren(code);
  return stopped;
}

async function stopChildren(code: number): Promise<never> {
  stopping = true;
  const exits = [...new Set(children.values())].map(
    (child) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()))),
  );
  for (const child of new Set(children.values())) child.kill('SIGTERM');
  const timeout = setTimeout(() => {
    for (const child of new Set(children.values())) child.kill('SIGKILL');
  }, 15_000);
  await Promise.all(exits);
  clearTimeout(timeout);
  process.exit(code);
}

// SIGHUP: the terminal it ran in was closed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(0));

const gateway = `http://${shownHost}:${portOf('gateway')}`;
try {
  // The gateway needs no subgraph to start (the supergraph is a file), so it loads alongside them, on the
  // other core while the subgraphs start in one process.
  makeClusterTemplateEarly();
  noticeEarlierLayout();
  for (const names of groups()) launchSubgraphs(names);
  // The subgraphs read no composed schema: composing (when a schema changed) overlaps their start.
  await composeIfChanged();
  launchGateway();
  await Promise.all([...SUBGRAPH_ORDER.map((name) => waitReady(name)), waitReady('gateway')]);
  // Not earlier: Vite and codegen would take the CPU from the databases' first start and the gateway's first
  // answers; the API answers while the web app builds.
  await buildWebAppIfStale();
  launchWeb(gateway);
  await waitReady('web');
} catch (error) {
  if (!stopping) console.error(`start failed: ${(error as Error).message}`);
  await stopAll(1);
}

console.log(`
Brigade is ready in ${((Date.now() - started) / 1000).toFixed(1)} s.
  Web app:  http://${shownHost}:${webPort}/
  GraphQL:  ${gateway}/graphql
  Sandbox:  ${gateway}/
  Try:      curl -s ${gateway}/graphql -H 'content-type: application/json' \\
              -d '{"query":"{ menu { name price { amount currency } stock available } }"}'
  Admin:    ${process.env.ADMIN_EMAIL ?? 'admin@brigade.local'} / ${process.env.ADMIN_PASSWORD ? '(ADMIN_PASSWORD)' : 'brigade-admin (development default)'}${
    throwawayDir
      ? `
  Data:     ${throwawayDir}, thrown away when Brigade stops (DATA_DIR=memory)`
      : ''
  }
Press Ctrl-C to stop.`);
