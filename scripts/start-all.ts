/**
 * `npm start`: composes the supergraph, starts the six subgraphs and the gateway as separate processes on
 * embedded databases (kept in .data/ across restarts), builds the web app and serves it (WEB_PORT, default
 * 4100), waits until everything is ready, prints the web app's and the gateway's URLs, and on Ctrl-C stops
 * them all cleanly.
 */
import { DEFAULT_DATA_DIR, DEFAULT_PORTS, generateKeyring, loadDevKeyring, type ServiceName } from '@brigade/platform';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, compose, readSupergraphConfig, renderStationSchemas } from './lib/composition.js';

const started = Date.now();
const ENTRY: Record<ServiceName, string> = {
  auth: 'subgraphs/auth/src/main.ts',
  menu: 'subgraphs/menu/src/main.ts',
  orders: 'subgraphs/orders/src/main.ts',
  kitchen: 'subgraphs/station/src/main.ts',
  bar: 'subgraphs/station/src/main.ts',
  bakery: 'subgraphs/station/src/main.ts',
  gateway: 'gateway/src/main.ts',
};
const SUBGRAPH_ORDER: ServiceName[] = ['auth', 'menu', 'kitchen', 'bar', 'bakery', 'orders'];
const host = process.env.HOST ?? '127.0.0.1';
const portOf = (name: ServiceName) => Number(process.env[`${name.toUpperCase()}_PORT`] ?? DEFAULT_PORTS[name]);
const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
const DEFAULT_WEB_PORT = 4100;
const webPort = Number(process.env.WEB_PORT ?? DEFAULT_WEB_PORT);

renderStationSchemas();
const outcome = compose(readSupergraphConfig());
if (!outcome.supergraphSdl) {
  for (const error of outcome.errors) console.error(`error[${error.code}]: ${error.message}`);
  process.exit(1);
}
const supergraphPath = resolve(ROOT, 'supergraph.graphql');
if (readFileSync(supergraphPath, 'utf8') !== outcome.supergraphSdl) writeFileSync(supergraphPath, outcome.supergraphSdl);

// One keyring for the seven processes, handed to each: kept in the data folder, or fresh when in memory.
const dataDir = process.env.DATA_DIR ?? DEFAULT_DATA_DIR;
const keyring = dataDir === 'memory' ? await generateKeyring() : await loadDevKeyring(dataDir);

const children = new Map<ServiceName, ChildProcess>();
let stopping = false;

function launch(name: ServiceName): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
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
    env[`SUBGRAPH_${other.toUpperCase()}_URL`] ??= `http://${host}:${portOf(other)}/graphql`;
  }
  // The gateway allocates a response tree per request: a larger young generation halves its GC pauses.
  const flags = name === 'gateway' ? ['--max-semi-space-size=32'] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', resolve(ROOT, ENTRY[name])], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const label = name.padEnd(7);
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`${label} | ${line}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`${name} exited unexpectedly (${signal ?? code}); stopping everything.`);
      void stopAll(1);
    }
  });
  children.set(name, child);
  return child;
}

async function waitReady(name: ServiceName, timeoutMs = 60_000): Promise<void> {
  const url = `http://${host}:${portOf(name)}/ready`;
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

async function stopAll(code: number): Promise<never> {
  stopping = true;
  const exits = [...children.values()].map(
    (child) => new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r()))),
  );
  for (const child of children.values()) child.kill('SIGTERM');
  const timeout = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, 15_000);
  await Promise.all(exits);
  clearTimeout(timeout);
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

const gateway = `http://${shownHost}:${portOf('gateway')}`;
let webUrl = '';
try {
  for (const name of SUBGRAPH_ORDER) launch(name);
  await Promise.all(SUBGRAPH_ORDER.map((name) => waitReady(name)));
  launch('gateway');
  // The web app builds (a few seconds) while the gateway starts; not earlier, so the first start's six
  // database initialisations keep the CPU to themselves.
  // Loaded only now: Vite and codegen are heavy, and the services' start should not wait on them.
  const { buildWebApp } = await import('../clients/web/scripts/build.js');
  const built = buildWebApp({ quiet: true, ...(process.env.WEB_DIST ? { outDir: process.env.WEB_DIST } : {}) });
  built.catch(() => undefined);
  await waitReady('gateway');
  const { createWebServer } = await import('../clients/web/server/static.js');
  const web = createWebServer({ root: (await built).dist, graphqlUrl: `${gateway}/graphql` });
  webUrl = await web.listen(webPort, host);
} catch (error) {
  console.error(`start failed: ${(error as Error).message}`);
  await stopAll(1);
}

console.log(`
Brigade is ready in ${((Date.now() - started) / 1000).toFixed(1)} s.
  Web app:  ${webUrl}
  GraphQL:  ${gateway}/graphql
  Sandbox:  ${gateway}/
  Try:      curl -s ${gateway}/graphql -H 'content-type: application/json' \\
              -d '{"query":"{ menu { name price { amount currency } stock available } }"}'
  Admin:    ${process.env.ADMIN_EMAIL ?? 'admin@brigade.local'} / ${process.env.ADMIN_PASSWORD ? '(ADMIN_PASSWORD)' : 'brigade-admin (development default)'}
Press Ctrl-C to stop.`);
