import { configOrExit, createLogger, runService } from '@brigade/platform';
import { createServer, loadConfig } from './subgraph.js';

const config = await configOrExit(loadConfig(process.env));
await runService({
  name: config.profile.station,
  logger: createLogger(config.profile.station, { level: config.logLevel }),
  host: config.host,
  port: config.port,
  start: () => createServer(config),
});
