import { BatchLoader, defineSubgraph, loadTypeDefs, UnauthenticatedError, type Callers, type SubgraphServer } from '@brigade/platform';
import type { ServerResponse } from 'node:http';
import { type AuthConfig, loadConfig } from './config.js';
import type { AuthDeps, AuthRequestDeps } from './context.js';
import { sqlStores } from './data/stores.js';
import { Accounts } from './domain/accounts.js';
import { ApiKeys } from './domain/apiKeys.js';
import { InvalidCredentialsError } from './domain/errors.js';
import { DEFAULT_PASSWORD_HASH_COST, Passwords } from './domain/passwords.js';
import { SigningKeys } from './domain/signingKeys.js';
import { resolvers } from './resolvers/index.js';

export { loadConfig, resolvers, type AuthConfig };

export const name = 'auth';
export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

/**
 * Who may call auth, and what: only the gateway — for clients, and for its own API key checks (internal
 * apiKeyGrant). No other service needs auth.
 */
export const CALLERS: Callers = { gateway: ['public', 'Query.apiKeyGrant'] };
export const JWKS_PATH = '/.well-known/jwks.json';

interface AuthExtras {
  /** Same as `npm run auth:rotate-key`, on this server's database; returns the new kid. */
  rotateSigningKey(): Promise<string>;
}
export type AuthServer = SubgraphServer & AuthExtras;

export const createServer = defineSubgraph<AuthConfig, AuthDeps, AuthRequestDeps, AuthExtras>({
  name,
  typeDefs,
  resolvers,
  migrations: new URL('../migrations/', import.meta.url),
  callers: CALLERS,
  // A NUL in an email or password is answered like any wrong password: it reveals nothing either.
  textInputErrors: { 'Mutation.logIn': () => new UnauthenticatedError(new InvalidCredentialsError().message) },
  async start({ db, logger, config }) {
    const keys = new SigningKeys(db, sqlStores, config.accessTokenTtlS);
    const kid = await keys.ensure(config.accessTokenKey);
    const accounts = new Accounts(db, sqlStores, keys, config, new Passwords(config.passwordHashCost));
    if (await accounts.ensureAdmin(config.adminEmail, config.adminPassword)) {
      logger.info({ email: config.adminEmail }, 'administrator account created');
    }
    if (config.production && config.passwordHashCost < DEFAULT_PASSWORD_HASH_COST) {
      logger.warn(
        { passwordHashCost: config.passwordHashCost },
        `PASSWORD_HASH_COST below ${DEFAULT_PASSWORD_HASH_COST}: a leaked password table is cheaper to guess`,
      );
    }
    if (config.adminIsDefault) {
      logger.warn(
        { email: config.adminEmail },
        `development default administrator in use (password "${config.adminPassword}"); set ADMIN_EMAIL and ADMIN_PASSWORD`,
      );
    }
    logger.info({ kid }, 'access tokens signed with key');
    return {
      deps: { accounts, apiKeys: new ApiKeys(db, sqlStores) },
      requestDeps: () => {
        const users = sqlStores.users(db);
        return { users: new BatchLoader(async (ids: readonly string[]) => new Map((await users.byIds(ids)).map((u) => [u.id, u]))) };
      },
      routes: { [JWKS_PATH]: async (_req, res) => sendJwks(res, await keys.jwks()) },
      extras: { rotateSigningKey: () => keys.rotate() },
    };
  },
});

function sendJwks(res: ServerResponse, jwks: unknown): void {
  // Verifiers refetch on an unknown kid anyway, so a minute of caching only delays nothing that matters.
  res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=60' });
  res.end(JSON.stringify(jwks));
}
