import { readFileSync } from 'node:fs';

/** The public benchmark's data folder (shared with the other sessions, never copied into the repo). */
export const GUILD_DIR = new URL('../../../shared/bench/guild/', import.meta.url);

export const guildFile = (name: string): URL => new URL(name, GUILD_DIR);

export const readGuildText = (name: string): string => readFileSync(guildFile(name), 'utf8');

export const readGuildJson = <T>(name: string): T => JSON.parse(readGuildText(name)) as T;

/** The POST body every published run sends (TestQuery). */
export const REQUEST_BODY: string = readGuildText('request.json').trim();

export const EXPECTED_RESPONSE_TEXT: string = readGuildText('expected-response.min.json').trim();

export const SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type GuildSubgraphName = (typeof SUBGRAPH_NAMES)[number];

/** The supergraph all gateways load, with its subgraph URLs pointed at `baseUrl` (e.g. `http://127.0.0.1:4200`). */
export function supergraphFor(baseUrl: string): string {
  const sdl = readGuildText('supergraph.graphql');
  const rewritten = sdl.replaceAll('http://0.0.0.0:4200/', `${baseUrl.replace(/\/$/, '')}/`);
  if (rewritten === sdl) throw new Error('supergraph.graphql no longer names http://0.0.0.0:4200/ subgraph URLs');
  return rewritten;
}
