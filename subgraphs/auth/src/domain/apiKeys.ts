import { apiKeyIdOf, generateApiKeySecret, type Queryable } from '@brigade/platform';
import { createHash, timingSafeEqual } from 'node:crypto';
import { BadUserInputError, ForbiddenError, NotFoundError } from '@brigade/platform/problems';
import { LAST_USED_RESOLUTION_S, type ApiKeyRecord, type ApiKeyStore, type AuthStores } from './ports.js';
import { KNOWN_SCOPES, scopesFor } from './roles.js';
import { normalizeName } from './validation.js';

export const EXPIRES_IN_DAYS_MAX = 3650;

/** Who manages keys: a signed-in user, with the scopes of their token. */
export interface KeyManager {
  readonly userId: string;
  readonly scopes: ReadonlySet<string>;
}

export interface CreateApiKey {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiresInDays?: number | null;
}

/** What a valid key grants: the gateway turns it into the request's viewer. */
export interface ApiKeyGrant {
  readonly keyId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: Date | null;
}

/** A NUL, or half of a surrogate pair: not text PostgreSQL (or anyone) can store. */
const NOT_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Looked up (and never found) for a secret that names no key, so every verification reads one row. */
const NO_KEY_ID = '00000000-0000-0000-0000-000000000000';
/** Compared against when no row was found, so an unknown key costs the same comparison as a known one. */
const NO_KEY_HASH = sha256('brigade: no such key');

/** API keys for devices and integrations: issued, listed, revoked, and verified for the gateway. */
export class ApiKeys {
  private readonly keys: ApiKeyStore;

  constructor(db: Queryable, stores: AuthStores) {
    this.keys = stores.apiKeys(db);
  }

  /** A new key and its secret, which exists only in this return value. */
  async create(manager: KeyManager, input: CreateApiKey): Promise<{ apiKey: ApiKeyRecord; secret: string }> {
    if (NOT_TEXT.test(input.name)) {
      throw new BadUserInputError('A name cannot contain NUL characters or unpaired surrogates.', 'name');
    }
    const name = normalizeName(input.name);
    const scopes = validateScopes(input.scopes);
    const missing = scopes.filter((s) => !manager.scopes.has(s));
    if (missing.length) {
      throw new ForbiddenError(`You cannot give a key scopes you do not hold: ${missing.join(', ')}.`);
    }
    const expiresInDays = input.expiresInDays ?? null;
    if (expiresInDays !== null && (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > EXPIRES_IN_DAYS_MAX)) {
      throw new BadUserInputError(`expiresInDays must be 1 to ${EXPIRES_IN_DAYS_MAX}, or null for no expiry.`, 'expiresInDays');
    }
    const { id, secret } = generateApiKeySecret();
    const apiKey = await this.keys.insert({
      id,
      name,
      scopes,
      secretHash: sha256(secret),
      createdBy: manager.userId,
      expiresInDays,
    });
    return { apiKey, secret };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  /** Revokes the key (idempotent: a revoked key keeps its first revocation time). */
  async revoke(manager: KeyManager, id: string): Promise<ApiKeyRecord> {
    const key = UUID.test(id) ? await this.keys.revoke(id, manager.userId) : undefined;
    if (!key) throw new NotFoundError(`No API key ${id}.`);
    return key;
  }

  /**
   * What a presented secret grants, or undefined when it is malformed, unknown, revoked or expired. The
   * work does not depend on whether the key exists: one primary-key read and one constant-time
   * comparison of SHA-256 digests, against a fixed digest when there is no row.
   */
  async verify(secret: string): Promise<ApiKeyGrant | undefined> {
    const id = apiKeyIdOf(secret);
    const presented = sha256(secret);
    const row = await this.keys.candidate(id ?? NO_KEY_ID);
    const matches = timingSafeEqual(presented, row?.secretHash ?? NO_KEY_HASH);
    if (!matches || !row || id === undefined) return undefined;
    if (row.revokedAt || (row.expiresAt && row.expiresAt <= row.now)) return undefined;
    if (!row.lastUsedAt || row.now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_S * 1000) {
      await this.keys.touch(row.id);
    }
    // Never more than the creator holds today: a demoted creator's keys shrink with them.
    const held = new Set(scopesFor(row.creatorRoles).split(' '));
    return { keyId: row.id, scopes: row.scopes.filter((s) => held.has(s)), expiresAt: row.expiresAt };
  }
}

function validateScopes(scopes: readonly string[]): string[] {
  const unknown = scopes.filter((s) => !KNOWN_SCOPES.includes(s));
  if (unknown.length) {
    const shown = unknown.slice(0, 5).map((s) => JSON.stringify(s.slice(0, 40)));
    throw new BadUserInputError(`Unknown scopes: ${shown.join(', ')}. Known: ${KNOWN_SCOPES.join(', ')}.`, 'scopes');
  }
  if (scopes.length === 0) throw new BadUserInputError('A key needs at least one scope.', 'scopes');
  return [...new Set(scopes)].sort();
}
