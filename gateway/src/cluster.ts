import cluster, { type Worker } from 'node:cluster';
import type { HttpApp, Logger } from '@brigade/platform';

/** The message the primary sends a worker to drain; workers ignore signals of their own (see runWorker). */
const DRAIN = 'brigade:drain';
/** A worker that dies sooner than this after its start counts towards a crash loop. */
const EARLY_EXIT_MS = 5_000;
const MAX_EARLY_EXITS = 5;

/**
 * `GATEWAY_WORKERS=N`: the primary forks N workers that each run the whole gateway on the same port (node:cluster
 * hands them connections in turn). A worker that dies is replaced; one that keeps dying at start stops everything.
 * SIGTERM or SIGINT to the primary drains every worker (each finishes its in-flight requests) and then exits;
 * a second signal, or workers still alive after the shutdown timeout, ends them at once.
 */
export function runPrimary(options: { workers: number; logger: Logger; shutdownTimeoutMs: number }): void {
  const { logger } = options;
  let draining = false;
  let earlyExits = 0;
  let failed = false;
  const started = new Map<Worker, number>();

  const fork = (): void => {
    started.set(cluster.fork(), Date.now());
  };

  cluster.on('exit', (worker, code, signal) => {
    const startedAt = started.get(worker) ?? 0;
    started.delete(worker);
    if (draining) {
      if (code !== 0) failed = true;
      if (started.size === 0) process.exit(failed ? 1 : 0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'gateway worker died; replacing it');
    if (Date.now() - startedAt < EARLY_EXIT_MS && ++earlyExits >= MAX_EARLY_EXITS) {
      logger.fatal('gateway workers keep dying at start; stopping');
      draining = true;
      failed = true;
      for (const other of started.keys()) other.process.kill('SIGKILL');
      if (started.size === 0) process.exit(1);
      return;
    }
    fork();
  });

  const shutdown = (signal: string): void => {
    if (draining) {
      for (const worker of started.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    draining = true;
    logger.info({ signal, workers: started.size }, 'gateway draining its workers');
    for (const worker of started.keys()) worker.send(DRAIN);
    setTimeout(() => {
      logger.error('gateway workers did not drain in time; killing them');
      for (const worker of started.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, options.shutdownTimeoutMs + 5_000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  for (let i = 0; i < options.workers; i++) fork();
}

/**
 * One worker: starts and listens like runService, but drains only when its primary says so. A terminal's Ctrl-C
 * or a group-wide SIGTERM reaches primary and workers alike; handled twice here it would abort the drain.
 */
export async function runWorker(options: { logger: Logger; host: string; port: number; start: () => Promise<HttpApp> }): Promise<void> {
  const { logger } = options;
  let app: HttpApp;
  try {
    app = await options.start();
    const url = await app.listen(options.port, options.host);
    logger.info({ url, pid: process.pid }, 'gateway worker listening');
  } catch (error) {
    logger.fatal({ err: error }, 'gateway worker failed to start');
    process.exit(1);
  }
  const ignore = (): void => undefined;
  process.on('SIGTERM', ignore);
  process.on('SIGINT', ignore);
  let stopping = false;
  const drain = (): void => {
    if (stopping) return;
    stopping = true;
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('message', (message) => {
    if (message === DRAIN) drain();
  });
  // The primary is gone (killed): nobody will ever ask this worker to drain.
  process.on('disconnect', drain);
}
