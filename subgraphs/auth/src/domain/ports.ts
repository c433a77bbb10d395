import type { Queryable } from '@brigade/platform';
import type { JWK } from 'jose';

/**
 * What auth's domain needs from storage. `data/` implements these over SQL; the domain receives them as
 * `AuthStores`, opened on the database or inside one of its transactions, and never imports `data/`.
 */
export interface AuthStores {
  users(db: Queryable): UserStore;
  refreshTokens(db: Queryable): RefreshTokenStore;
  signingKeys(db: Queryable): SigningKeyStore;
  apiKeys(db: Queryable): ApiKeyStore;
}

export interface UserRecord {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly string[];
}

export interface UserStore {
  /** Inserts the user; undefined when the email (case-insensitively) is taken. */
  insert(user: UserRecord & { passwordHash: string }): Promise<UserRecord | undefined>;
  byEmail(email: string): Promise<(UserRecord & { passwordHash: string }) | undefined>;
  byIds(ids: readonly string[]): Promise<UserRecord[]>;
  /** Adds `role` once; undefined when the user does not exist. */
  addRole(id: string, role: string): Promise<UserRecord | undefined>;
}

export interface SpentToken {
  readonly familyId: string;
  readonly userId: string;
}

export type TokenState = 'spent' | 'revoked' | 'expired';

export interface RefreshTokenStore {
  insertFamily(id: string): Promise<void>;
  /** The family of a token, or undefined when it was never issued. */
  familyOf(hash: string): Promise<string | undefined>;
  /** Locks the family until the transaction ends; false when the family is revoked. */
  lockLiveFamily(familyId: string): Promise<boolean>;
  insert(token: { id: string; familyId: string; userId: string; hash: string; ttlS: number }): Promise<void>;
  /** Marks a live token used; of two concurrent spends of one token exactly one gets it back. */
  spend(hash: string): Promise<SpentToken | undefined>;
  stateOf(hash: string): Promise<{ familyId: string; state: TokenState } | undefined>;
  revokeFamily(familyId: string): Promise<boolean>;
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly privateJwk: JWK;
}

export interface SigningKeyStore {
  /** Held until the transaction ends, so concurrent rotations (replicas starting together) run one at a time. */
  lockForRotation(): Promise<void>;
  /** The newest key not retired: the one new tokens are signed with. */
  current(): Promise<SigningKeyRecord | undefined>;
  exists(kid: string): Promise<boolean>;
  published(graceS: number): Promise<JWK[]>;
  rotateTo(key: { kid: string; privateJwk: JWK; publicJwk: JWK }): Promise<void>;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A key's row with what verification compares; `now` is the database's clock, the one expiry is set by. */
export interface ApiKeyCandidate extends ApiKeyRecord {
  readonly secretHash: Buffer;
  readonly now: Date;
  /** The creator's roles today: a key never grants more than its creator still holds. */
  readonly creatorRoles: readonly string[];
}

export interface ApiKeyStore {
  insert(key: {
    id: string;
    name: string;
    scopes: readonly string[];
    secretHash: Buffer;
    createdBy: string;
    expiresInDays: number | null;
  }): Promise<ApiKeyRecord>;
  /** Every key, newest first (revoked and expired ones too). */
  list(): Promise<ApiKeyRecord[]>;
  byId(id: string): Promise<ApiKeyRecord | undefined>;
  /** The row verification compares against, or undefined. One primary-key read either way. */
  candidate(id: string): Promise<ApiKeyCandidate | undefined>;
  /** Revokes a live key; an already revoked key keeps its first revocation. Undefined for an unknown id. */
  revoke(id: string, by: string): Promise<ApiKeyRecord | undefined>;
  /** Records a use, writing at most once per LAST_USED_RESOLUTION_S. */
  touch(id: string): Promise<void>;
}

/** How stale `lastUsedAt` may get before a use writes it again. */
export const LAST_USED_RESOLUTION_S = 60;
