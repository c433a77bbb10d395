/**
 * How the bench starts Brigade's own gateway, as it ships (auth and limits active; the bench calls it anonymously).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyring } from '@brigade/platform';
import type { StartedGateway } from './lib/gateway.js';
import { nodeTs, REPO_ROOT, startProcess } from './lib/proc.js';

const MAIN = join(REPO_ROOT, 'gateway/src/main.ts');

/**
 * How the gateway ships (npm start:gateway and the Dockerfile set the same): a 32 MB young generation, because
 * per-request garbage dominates its GC time (public scenario: GC share 24% → 17%, CPU per request −7%).
 */
export const GATEWAY_NODE_OPTIONS = '--max-semi-space-size=32';

/**
 * Starts Brigade's gateway on `port` serving `supergraphPath`, one worker, pinned to `options.cpus`.
 * Resolves null when the gateway cannot be started from this checkout (the bench then reports it as skipped).
 */
export async function startBrigadeGateway(
  supergraphPath: string,
  port: number,
  options: { cpus?: string; workers?: number; nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<StartedGateway | null> {
  if (!existsSync(MAIN)) return null;
  // A fresh keyring: the gateway refuses to start without its signing key, and the guild subgraphs ignore the
  // internal credentials it mints (minting them is part of what is measured).
  const keyring = await generateKeyring();
  const { command, args } = nodeTs(MAIN, [], options.nodeFlags);
  const proc = startProcess({
    name: 'brigade-gateway',
    command,
    args,
    cpus: options.cpus,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      SUPERGRAPH_PATH: supergraphPath,
      SERVICE_SIGNING_KEY: JSON.stringify(keyring.privateKeys.gateway),
      SERVICE_TRUSTED_KEYS: JSON.stringify(keyring.trusted),
      GATEWAY_WORKERS: String(options.workers ?? 1),
      NODE_OPTIONS: [process.env.NODE_OPTIONS, GATEWAY_NODE_OPTIONS].filter(Boolean).join(' '),
      // As shipped: one access-log line per operation is part of the cost measured.
      LOG_LEVEL: 'info',
      // Every limit stays on; only the cost budget is raised: TestQuery nests lists five deep, which the cost
      // analysis (10 per unsized list) estimates far above the default 5000 of Brigade's own schema.
      MAX_COST: '10000000',
      // The guild supergraph has no auth subgraph; the bench calls anonymously, so the key set is never fetched.
      AUTH_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      // The rate limiter runs (its cost is part of the measurement) with a budget one loopback client never reaches.
      RATE_LIMIT_IP: '1000000000',
      ...options.env,
    },
  });
  const workers = options.workers ?? 1;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    proc,
    description: `gateway/src/main.ts, ${workers} worker${workers === 1 ? '' : 's'}`,
  };
}
