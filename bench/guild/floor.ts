/**
 * The transport floor: per client request it makes the 16 subgraph requests of Apollo's plan for TestQuery, in the
 * plan's order (sequences wait, parallel branches overlap), over one keep-alive undici Pool per subgraph, parses
 * every reply and writes the expected response serialised afresh. It assembles nothing: what it costs is the
 * transport, parse and serialisation any gateway pays for this plan shape, i.e. the physical limit.
 *
 *   node --import tsx bench/guild/floor.ts --subgraphs http://127.0.0.1:4200 [--port 4000] [--plan plan.json]
 *
 * Without --plan it captures the plan itself by running TestQuery once through @apollo/gateway (the bench passes
 * a captured plan so the floor process carries no gateway code).
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { EXPECTED_RESPONSE_TEXT } from './data.js';
import type { FloorPlan } from './plan.js';

async function loadPlan(planFile: string | undefined, subgraphsUrl: string): Promise<FloorPlan> {
  if (planFile) return JSON.parse(readFileSync(planFile, 'utf8')) as FloorPlan;
  const { runThroughApolloGateway, toFloorPlan } = await import('./plan.js');
  return toFloorPlan(await runThroughApolloGateway(subgraphsUrl));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      subgraphs: { type: 'string', default: 'http://127.0.0.1:4200' },
      plan: { type: 'string' },
      connections: { type: 'string', default: '16' },
    },
  });
  const plan = await loadPlan(values.plan, values.subgraphs);
  const pools = new Map<string, Pool>();
  const poolFor = (service: string): Pool => {
    let pool = pools.get(service);
    if (!pool) {
      pool = new Pool(values.subgraphs, { connections: Number(values.connections), keepAliveTimeout: 60_000 });
      pools.set(service, pool);
    }
    return pool;
  };
  const headers = { 'content-type': 'application/json' };
  const run = async (node: FloorPlan): Promise<void> => {
    switch (node.kind) {
      case 'fetch': {
        const response = await poolFor(node.service).request({ path: `/${node.service}`, method: 'POST', headers, body: node.body });
        const reply = JSON.parse(await response.body.text()) as { errors?: unknown };
        if (response.statusCode !== 200 || reply.errors) throw new Error(`${node.service} answered ${response.statusCode}`);
        return;
      }
      case 'sequence':
        for (const child of node.nodes) await run(child);
        return;
      case 'parallel':
        await Promise.all(node.nodes.map(run));
        return;
    }
  };
  const expected = JSON.parse(EXPECTED_RESPONSE_TEXT) as unknown;

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      return;
    }
    req.resume();
    req.once('end', () => {
      run(plan).then(
        () => {
          const body = JSON.stringify(expected);
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        },
        (error: unknown) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: String(error) }] }));
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(values.port), values.host, () => {
    console.log(`floor listening on http://${values.host}:${(server.address() as AddressInfo).port}/graphql`);
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
    void Promise.all([...pools.values()].map((pool) => pool.close())).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
