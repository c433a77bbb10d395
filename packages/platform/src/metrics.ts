import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Route } from './http.js';

let processRegistry: Registry | undefined;

/**
 * The process's own series (CPU, memory, event-loop lag, GC), collected once however many servers the process
 * runs: prom-client starts an event-loop monitor, a 10 ms timer that nothing stops, on every collection it is
 * asked for. One per server left npm start's subgraph host with six, and a test worker with one for every
 * server it had ever started, each waking the process a hundred times a second.
 */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** `/metrics`: the process's series, then the server's own (each registry keeps its default labels). */
export function metricsRoute(registry: Registry): Route {
  return async (_req, res) => {
    const body = (await processMetrics().metrics()) + (await registry.metrics());
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
  };
}
