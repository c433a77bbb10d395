import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';
import { z } from 'zod';
import { loadDevKeyring } from './keys.js';
import { DEFAULT_PORTS, subgraphUrlVariable, type ServiceName } from './services.js';

export type Env = Record<string, string | undefined>;

/** The repository's `.data` folder: where `npm start` keeps databases and development keys. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.data', import.meta.url));

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65_535);
const json = <T>(what: string) =>
  z.string().transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as T;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${what} must be JSON` });
      return z.NEVER;
    }
  });

export class ConfigError extends Error {}

/** Parses `env` with `schema`, failing with one message that names every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

export interface ServiceConfig {
  readonly service: ServiceName;
  readonly host: string;
  readonly port: number;
  readonly production: boolean;
  readonly logLevel: string;
  /** PostgreSQL URL; undefined means embedded PGlite. */
  readonly databaseUrl?: string;
  /** Where its tables live: its own schema on PostgreSQL or in a PGlite cluster (`public` in a folder of its own). */
  readonly databaseSchema: string;
  /** PGlite data folder, which services of one process may share (a schema each); undefined means in memory. */
  readonly pgliteDir?: string;
  /** PGlite syncs each commit to disk (`PGLITE_FSYNC`; on by default in production). */
  readonly pgliteFsync: boolean;
  readonly signingKey: JWK;
  readonly trustedKeys: JSONWebKeySet;
  readonly shutdownTimeoutMs: number;
}

const baseSchema = z.object({
  NODE_ENV: z.string().optional(),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1, 'is empty: a folder, or memory for throwaway data').default(DEFAULT_DATA_DIR),
  PGLITE_DIR: z.string().min(1).optional(),
  SERVICE_SIGNING_KEY: json<JWK>('SERVICE_SIGNING_KEY').optional(),
  SERVICE_TRUSTED_KEYS: json<JSONWebKeySet>('SERVICE_TRUSTED_KEYS').optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  PRODUCTION: bool.optional(),
  PGLITE_FSYNC: bool.optional(),
  ALLOW_MEMORY_DATA: bool.optional(),
});

/**
 * The settings every service shares. Per-service variables win over the shared ones
 * (`MENU_DATABASE_URL` over `DATABASE_URL`), so one environment can describe the whole stack.
 */
export async function loadServiceConfig(service: ServiceName, env: Env = process.env): Promise<ServiceConfig> {
  const prefix = service.toUpperCase();
  const base = parseEnv(baseSchema, {
    ...env,
    DATABASE_URL: env[`${prefix}_DATABASE_URL`] ?? env.DATABASE_URL,
    PORT: env[`${prefix}_PORT`] ?? env.PORT,
    PGLITE_DIR: env[`${prefix}_PGLITE_DIR`] ?? env.PGLITE_DIR,
  });
  const production = base.PRODUCTION ?? base.NODE_ENV === 'production';
  const dataDir = base.DATA_DIR === 'memory' ? undefined : resolve(base.DATA_DIR);
  // Development keeps every service in one cluster (a schema each), which the embedded stack opens once for
  // all six; production keeps a service's own folder, tables in `public`, as every earlier version did.
  const ownFolder = production && !base.PGLITE_DIR;
  const pgliteDir = base.PGLITE_DIR ? resolve(base.PGLITE_DIR) : dataDir && (ownFolder ? join(dataDir, service) : join(dataDir, 'pglite'));
  // The gateway keeps no data of its own; every subgraph does.
  if (production && service !== 'gateway' && !pgliteDir && !base.DATABASE_URL && !base.ALLOW_MEMORY_DATA) {
    throw new ConfigError(
      'invalid configuration:\n  DATA_DIR=memory keeps every order, reservation and account in memory, lost when the ' +
        'process stops: production needs DATA_DIR set to a folder on a persistent volume, or DATABASE_URL ' +
        '(ALLOW_MEMORY_DATA=true accepts throwaway data, for tests and demos only)',
    );
  }
  let signingKey = base.SERVICE_SIGNING_KEY;
  let trustedKeys = base.SERVICE_TRUSTED_KEYS;
  if (!signingKey || !trustedKeys) {
    if (production || !dataDir) {
      throw new ConfigError('invalid configuration:\n  SERVICE_SIGNING_KEY and SERVICE_TRUSTED_KEYS are required');
    }
    const keyring = await loadDevKeyring(dataDir);
    signingKey ??= keyring.privateKeys[service];
    trustedKeys ??= keyring.trusted;
  }
  return {
    service,
    host: base.HOST,
    port: base.PORT ?? DEFAULT_PORTS[service],
    production,
    logLevel: base.LOG_LEVEL,
    databaseUrl: base.DATABASE_URL,
    databaseSchema: env[`${prefix}_DATABASE_SCHEMA`] ?? (!base.DATABASE_URL && pgliteDir && ownFolder ? 'public' : service),
    pgliteDir,
    pgliteFsync: base.PGLITE_FSYNC ?? production,
    signingKey,
    trustedKeys,
    shutdownTimeoutMs: base.SHUTDOWN_TIMEOUT_MS,
  };
}

/** Where another subgraph answers: its `SUBGRAPH_<NAME>_URL`, else its default local port. */
export function subgraphUrl(env: Env, name: ServiceName): string {
  return env[subgraphUrlVariable(name)] ?? `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`;
}
