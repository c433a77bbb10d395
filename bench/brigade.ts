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
 * Starts Brigade's gateway on `port` serving `supergraphPath`, one worker, pinned to `options.cpus`.
 * Resolves null when the gateway cannot be started from this checkout (the bench then reports it as skipped).
 */
export async function startBrigadeGateway(
  supergraphPath: string,
  port: number,
  options: { cpus?: string } = {},
): Promise<StartedGateway | null> {
  if (!existsSync(MAIN)) return null;
  // A fresh keyring: the gateway refuses to start without its signing key, and the guild subgraphs ignore the
  // internal credentials it mints (minting them is part of what is measured).
  const keyring = await generateKeyring();
  const { command, args } = nodeTs(MAIN);
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
      GATEWAY_WORKERS: '1',
      LOG_LEVEL: 'warn',
    },
  });
  return { url: `http://127.0.0.1:${port}/graphql`, proc, description: 'gateway/src/main.ts, 1 worker' };
}
