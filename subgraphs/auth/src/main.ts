import { createLogger, runService } from '@brigade/platform';
import { createServer, loadConfig, name } from './subgraph.js';

const config = await loadConfig(process.env).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
await runService({
  name,
  logger: createLogger(name, { level: config.logLevel }),
  host: config.host,
  port: config.port,
  start: () => createServer(config),
});
