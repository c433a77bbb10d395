import {
  BatchLoader,
  createLogger,
  createSubgraphServer,
  CredentialVerifier,
  migrate,
  openDatabase,
  UnauthenticatedError,
  type Callers,
  type SubgraphServer,
} from '@brigade/platform';
import { gql } from 'graphql-tag';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { type AuthConfig, loadConfig } from './config.js';
import { UserRepository } from './data/users.js';
import { Accounts } from './domain/accounts.js';
import { InvalidCredentialsError } from './domain/errors.js';
import { SigningKeys } from './domain/signingKeys.js';
import { resolvers, type AuthDeps } from './resolvers/index.js';

export const name = 'auth';
export const typeDefs = gql(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
export { loadConfig };
export type { AuthConfig };

/** Who may call auth, and what: only the gateway, for clients. No other service needs auth. */
export const CALLERS: Callers = { gateway: 'public' };
export const JWKS_PATH = '/.well-known/jwks.json';

export interface AuthServer extends SubgraphServer {
  /** Same as `npm run auth:rotate-key`, on this server's database; returns the new kid. */
  rotateSigningKey(): Promise<string>;
}

export async function createServer(config: AuthConfig): Promise<AuthServer> {
  const logger = createLogger(name, { level: config.logLevel });
  const db = await openDatabase({ url: config.databaseUrl, schema: config.databaseSchema, dataDir: config.pgliteDir });
  try {
    await migrate(db, new URL('../migrations/', import.meta.url));
    const keys = new SigningKeys(db, config.accessTokenTtlS);
    const kid = await keys.ensure(config.accessTokenKey);
    const accounts = new Accounts(db, keys, config);
    if (await accounts.ensureAdmin(config.adminEmail, config.adminPassword)) {
      logger.info({ email: config.adminEmail }, 'administrator account created');
    }
    if (config.adminIsDefault) {
      logger.warn(
        { email: config.adminEmail },
        `development default administrator in use (password "${config.adminPassword}"); set ADMIN_EMAIL and ADMIN_PASSWORD`,
      );
    }
    logger.info({ kid }, 'access tokens signed with key');

    const server = await createSubgraphServer<AuthDeps>({
      name,
      typeDefs,
      resolvers: resolvers as never,
      deps: { accounts },
      requestDeps: () => {
        const users = new UserRepository(db);
        return { users: new BatchLoader(async (ids: readonly string[]) => new Map((await users.byIds(ids)).map((u) => [u.id, u]))) };
      },
      callers: CALLERS,
      verifier: new CredentialVerifier(name, config.trustedKeys, Object.keys(CALLERS)),
      // A NUL in an email or password is answered like any wrong password: it reveals nothing either.
      textInputErrors: { 'Mutation.logIn': () => new UnauthenticatedError(new InvalidCredentialsError().message) },
      logger,
      production: config.production,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      ready: async () => void (await db.query('SELECT 1')),
      onStop: () => db.close(),
      routes: {
        [JWKS_PATH]: async (_req, res) => sendJwks(res, await keys.jwks()),
      },
    });
    return Object.assign(server, { rotateSigningKey: () => keys.rotate() });
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

function sendJwks(res: ServerResponse, jwks: unknown): void {
  // Verifiers refetch on an unknown kid anyway, so a minute of caching only delays nothing that matters.
  res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=60' });
  res.end(JSON.stringify(jwks));
}
