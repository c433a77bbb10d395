/**
 * Peer gateways are measured, never depended on: they are installed on first use into `bench/.peers/`
 * (git-ignored), pinned, outside the workspaces' node_modules.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = fileURLToPath(new URL('../.peers/', import.meta.url));

export interface Peer {
  name: string;
  version: string;
  bin: string;
}

function installedVersion(peer: Peer): string | undefined {
  const manifest = join(PEERS_DIR, 'node_modules', peer.name, 'package.json');
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Path of the peer's executable, installing the pinned version first when it is missing. */
export function ensurePeer(peer: Peer, log: (line: string) => void = console.log): string {
  const bin = join(PEERS_DIR, 'node_modules', '.bin', peer.bin);
  if (installedVersion(peer) === peer.version && existsSync(bin)) return bin;
  mkdirSync(PEERS_DIR, { recursive: true });
  const manifest = join(PEERS_DIR, 'package.json');
  // Its own package.json makes npm treat the folder as a separate project, not part of the workspaces.
  if (!existsSync(manifest)) writeFileSync(manifest, JSON.stringify({ name: 'brigade-bench-peers', private: true }, null, 2) + '\n');
  log(`installing ${peer.name}@${peer.version} into ${PEERS_DIR} (once)…`);
  const result = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `${peer.name}@${peer.version}`],
    { cwd: PEERS_DIR, encoding: 'utf8', timeout: 300_000 },
  );
  if (result.status !== 0 || installedVersion(peer) !== peer.version) {
    throw new Error(`npm install ${peer.name}@${peer.version} failed: ${(result.stderr || String(result.error)).slice(-1500)}`);
  }
  return bin;
}
