import cluster from 'node:cluster';
import { configOrExit, createLogger, runService } from '@brigade/platform';
import { runPrimary, runWorker } from './cluster.js';
import { loadConfig } from './config.js';
import { createGateway } from './gateway.js';

const config = await configOrExit(loadConfig(process.env));
const logger = createLogger('gateway', { level: config.logLevel });
// One process per core: the gateway is CPU-bound, and node:cluster spreads connections over the workers.
const { workers } = config;
const start = () => createGateway(config, { logger });

if (workers === 1) {
  await runService({ name: 'gateway', logger, host: config.host, port: config.port, start });
} else if (cluster.isPrimary) {
  runPrimary({ workers, logger, shutdownTimeoutMs: config.shutdownTimeoutMs });
} else {
  await runWorker({ logger: logger.child({ worker: cluster.worker?.id }), host: config.host, port: config.port, start });
}
