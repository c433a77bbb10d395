/**
 * Several subgraphs in one Node process: how `npm start`'s embedded development stack runs them (see
 * start-all.ts, START_PROCESSES). Each keeps its own port, key and configuration, exactly as its own `main.ts`
 * would give it; what they share is one Node runtime, one copy of the modules they all load (graphql, Apollo,
 * PGlite's compiled WebAssembly), which is most of a subgraph process's memory, and one PGlite cluster (the
 * data folder they all name: a schema each), opened once instead of six times.
 * Production runs one process per service (deploy/entrypoint.sh).
 *
 *   HOSTED_SERVICES='{"menu":{"PORT":"4002",…},"kitchen":{"STATION":"kitchen",…}}' node scripts/dist/subgraph-host.js
 *
 * Each service's variables are the process environment with its own entry of HOSTED_SERVICES on top. They
 * start in the order given (dependencies first), and SIGTERM/SIGINT drains them all.
 */
import type { HttpApp } from '@brigade/platform';
import { ConfigError, type Env } from '@brigade/platform/config';
import { createLogger } from '@brigade/platform/logger';
import { SUBGRAPHS, type SubgraphName } from '@brigade/platform/services';
import { SUBGRAPH_STARTS } from './lib/subgraphs.js';

function hostedServices(raw: string | undefined): [SubgraphName, Env][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? '');
  } catch {
    throw new ConfigError('invalid configuration:\n  HOSTED_SERVICES must be a JSON object of service name → variables');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('invalid configuration:\n  HOSTED_SERVICES must be a JSON object of service name → variables');
  }
  const entries = Object.entries(parsed as Record<string, Env>);
  const unknown = entries.map(([name]) => name).filter((name) => !(SUBGRAPHS as readonly string[]).includes(name));
  if (entries.length === 0 || unknown.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  HOSTED_SERVICES names ${unknown.join(', ') || 'no service'}; known: ${SUBGRAPHS.join(', ')}`,
    );
  }
  return entries as [SubgraphName, Env][];
}

const logger = createLogger('subgraph-host', { level: process.env.LOG_LEVEL ?? 'info' });
const apps: { name: SubgraphName; app: HttpApp }[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  // Reverse start order: orders (which calls the others) goes first.
  const results = await Promise.allSettled(apps.reverse().map(({ app }) => app.stop()));
  for (const result of results) if (result.status === 'rejected') logger.error({ err: result.reason }, 'shutdown failed');
  process.exit(results.some((r) => r.status === 'rejected') ? 1 : code);
}

let signals = 0;
const onSignal = (signal: string) => {
  if (++signals > 1) process.exit(1);
  logger.info({ signal }, 'draining');
  void stopAll(0);
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

let services: [SubgraphName, Env][];
try {
  services = hostedServices(process.env.HOSTED_SERVICES);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
const base: Env = { ...process.env };
delete base.HOSTED_SERVICES;
// Every service's configuration first: a bad variable ends the process before any subgraph is loaded or started.
const starts: { name: SubgraphName; env: Env; start: () => Promise<HttpApp> }[] = [];
for (const [name, own] of services) {
  const env: Env = { ...base, ...own };
  try {
    starts.push({ name, env, start: await SUBGRAPH_STARTS[name](env) });
  } catch (error) {
    if (error instanceof ConfigError) console.error(`${name}: ${error.message}`);
    else logger.fatal({ err: error, service: name }, `${name} failed to start`);
    process.exit(1);
  }
}
for (const { name, env, start } of starts) {
  if (stopping) break;
  try {
    const app = await start();
    apps.push({ name, app });
    const url = await app.listen(Number(env.PORT ?? 0), env.HOST);
    createLogger(name, { level: env.LOG_LEVEL ?? 'info' }).info({ url }, `${name} listening`);
  } catch (error) {
    logger.fatal({ err: error, service: name }, `${name} failed to start`);
    await stopAll(1);
  }
}
