import { createLogger, runService } from '@brigade/platform';
import { loadConfig } from './config.js';
import { createGateway } from './gateway.js';

const config = await loadConfig(process.env);
const logger = createLogger('gateway', { level: config.logLevel });
await runService({ name: 'gateway', logger, host: config.host, port: config.port, start: () => createGateway(config, { logger }) });
