import { configOrExit, createLogger, runService } from '@brigade/platform';
import { createServer, loadConfig, name } from './subgraph.js';

const config = await configOrExit(loadConfig(process.env));
await runService({
  name,
  logger: createLogger(name, { level: config.logLevel }),
  host: config.host,
  port: config.port,
  start: () => createServer(config),
});
