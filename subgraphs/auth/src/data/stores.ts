import type { AuthStores } from '../domain/ports.js';
import { ApiKeyRepository } from './apiKeys.js';
import { RefreshTokenRepository } from './refreshTokens.js';
import { SigningKeyRepository } from './signingKeys.js';
import { UserRepository } from './users.js';

/** Auth's stores over its PostgreSQL tables. */
export const sqlStores: AuthStores = {
  users: (db) => new UserRepository(db),
  refreshTokens: (db) => new RefreshTokenRepository(db),
  signingKeys: (db) => new SigningKeyRepository(db),
  apiKeys: (db) => new ApiKeyRepository(db),
};
