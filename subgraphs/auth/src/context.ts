import type { BatchLoader, SubgraphContext } from '@brigade/platform';
import type { Accounts } from './domain/accounts.js';
import type { ApiKeys } from './domain/apiKeys.js';
import type { UserRecord } from './domain/ports.js';

export interface AuthDeps {
  readonly accounts: Accounts;
  readonly apiKeys: ApiKeys;
}

export interface AuthRequestDeps {
  readonly users: BatchLoader<string, UserRecord>;
}

export type AuthContext = SubgraphContext & AuthDeps & AuthRequestDeps;
