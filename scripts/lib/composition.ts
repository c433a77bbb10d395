import { composeServices } from '@apollo/composition';
import { STATION_PROFILES, renderStationSdl } from '@brigade/station/stations';
import { parse, type GraphQLError } from 'graphql';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { ROOT } from './root.js';

export { ROOT };

export interface SubgraphSource {
  name: string;
  routingUrl: string;
  file: string;
  sdl: string;
}

/** Reads rover's supergraph config format: `subgraphs.<name>.routing_url` and `schema.file`. */
export function readSupergraphConfig(configPath = resolve(ROOT, 'supergraph.yaml')): SubgraphSource[] {
  const config = YAML.parse(readFileSync(configPath, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
  };
  if (!config?.subgraphs) throw new Error(`${configPath}: no subgraphs`);
  const base = dirname(configPath);
  return Object.entries(config.subgraphs).map(([name, entry]) => {
    if (!entry.routing_url || !entry.schema?.file) {
      throw new Error(`${configPath}: subgraph ${name} needs routing_url and schema.file`);
    }
    const file = resolve(base, entry.schema.file);
    return { name, routingUrl: entry.routing_url, file, sdl: readFileSync(file, 'utf8') };
  });
}

/** Writes the three stations' SDL from the one template, so rover and the gateway see real files. */
export function renderStationSchemas(): { file: string; changed: boolean }[] {
  return Object.values(STATION_PROFILES).map((profile) => {
    const file = resolve(ROOT, `subgraphs/station/generated/${profile.station}.graphql`);
    const sdl = renderStationSdl(profile);
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // absent: written below
    }
    if (current !== sdl) writeFileSync(file, sdl);
    return { file, changed: current !== sdl };
  });
}

export interface CompositionOutcome {
  supergraphSdl?: string;
  errors: { code: string; message: string }[];
  hints: { code: string; message: string }[];
}

export function compose(subgraphs: SubgraphSource[]): CompositionOutcome {
  const errors: CompositionOutcome['errors'] = [];
  const services = [];
  for (const s of subgraphs) {
    try {
      services.push({ name: s.name, url: s.routingUrl, typeDefs: parse(s.sdl, { noLocation: false }) });
    } catch (error) {
      errors.push({ code: 'INVALID_GRAPHQL', message: `[${s.name}] ${(error as Error).message}` });
    }
  }
  if (errors.length) return { errors, hints: [] };
  const result = composeServices(services);
  const code = (e: GraphQLError) => String(e.extensions?.code ?? 'COMPOSITION_ERROR');
  if (result.errors) {
    return { errors: result.errors.map((e) => ({ code: code(e), message: e.message })), hints: [] };
  }
  return {
    supergraphSdl: result.supergraphSdl,
    errors: [],
    hints: (result.hints ?? []).map((h) => ({ code: h.definition.code, message: h.message })),
  };
}
