import cluster from 'node:cluster';
import { createLogger } from '@brigade/platform/logger';
import { configOrExit, runService } from '@brigade/platform/run';
import { runPrimary, runWorker } from './cluster.js';
import { loadConfig } from './config.js';

const config = await configOrExit(loadConfig(process.env));
const logger = createLogger('gateway', { level: config.logLevel });
// One process per core: the gateway is CPU-bound, and node:cluster spreads connections over the workers.
const { workers } = config;
// The gateway itself (Apollo, federation's query planner) is imported once the configuration holds, and not
// at all by the primary of a cluster, which only forks workers.
const start = async () => (await import('./gateway.js')).createGateway(config, { logger });

if (workers === 1) {
  await runService({ name: 'gateway', logger, host: config.host, port: config.port, start });
} else if (cluster.isPrimary) {
  runPrimary({ workers, logger, shutdownTimeoutMs: config.shutdownTimeoutMs });
} else {
  await runWorker({ logger: logger.child({ worker: cluster.worker?.id }), host: config.host, port: config.port, start });
}
