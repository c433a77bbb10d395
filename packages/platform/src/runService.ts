import { ConfigError, type Env, type ServiceConfig } from './config.js';
import type { HttpApp } from './http.js';
import { createLogger, type Logger } from './logger.js';
import type { SubgraphModule } from './subgraphKit.js';

/**
 * The only place a service process listens and handles signals: start it, then on SIGTERM/SIGINT drain
 * in-flight requests and exit 0; exit 1 if it cannot start.
 */
export async function runService(options: {
  name: string;
  logger: Logger;
  host: string;
  port: number;
  start: () => Promise<HttpApp>;
}): Promise<void> {
  const { logger } = options;
  let app: HttpApp;
  try {
    app = await options.start();
    const url = await app.listen(options.port, options.host);
    logger.info({ url }, `${options.name} listening`);
  } catch (error) {
    logger.fatal({ err: error }, `${options.name} failed to start`);
    process.exit(1);
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    logger.info({ signal }, `${options.name} draining`);
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/**
 * The configuration a service's `main.ts` starts with: a bad value ends the process with the message that
 * names every bad variable and exit code 1 — not an unhandled rejection with a stack trace.
 */
export async function configOrExit<C>(load: Promise<C>): Promise<C> {
  try {
    return await load;
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

/**
 * A subgraph's whole `main.ts`: its configuration from the environment (or exit 1), then `runService`. The
 * subgraph itself (Apollo, PGlite, its resolvers: most of a second of CPU) is imported only once the
 * configuration holds, so a misconfigured pod says why in a fraction of that.
 */
export async function runSubgraph<Config extends ServiceConfig>(
  loadConfig: (env: Env) => Promise<Config>,
  subgraph: () => Promise<Pick<SubgraphModule<Config>, 'createServer'>>,
): Promise<void> {
  const config = await configOrExit(loadConfig(process.env));
  await runService({
    name: config.service,
    logger: createLogger(config.service, { level: config.logLevel }),
    host: config.host,
    port: config.port,
    start: async () => (await subgraph()).createServer(config),
  });
}
