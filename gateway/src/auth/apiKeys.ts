import {
  apiKeyIdOf,
  HttpError,
  keyViewer,
  ServiceCallError,
  type Logger,
  type ServiceClient,
  type Viewer,
  ErrorCode,
} from '@brigade/platform';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header devices and integrations send their key in. */
export const API_KEY_HEADER = 'x-api-key';

/** The key is malformed, unknown, revoked or expired: the request is refused with 401. */
export class InvalidApiKeyError extends Error {
  constructor(readonly reason: 'malformed' | 'unknown, revoked or expired') {
    super(`invalid API key: ${reason}`);
  }
}

/** Auth could not be asked: not the client's fault, so a 503 rather than a 401. */
export class ApiKeyCheckUnavailableError extends Error {}

export interface ApiKeyVerifierOptions {
  /** A client for the auth subgraph, minting the gateway's own (anonymous) credential. */
  auth: Pick<ServiceClient, 'request'>;
  /**
   * How long a verified key is trusted without asking auth again: the bound on how late a revocation
   * takes effect on each gateway replica (`API_KEY_CACHE_TTL_MS`). Default 5000.
   */
  cacheTtlMs?: number;
  /**
   * How long a refused key stays refused without asking auth (`API_KEY_NEGATIVE_CACHE_TTL_MS`). A secret
   * that is unknown, revoked or expired never becomes valid, so this only bounds memory and auth's load
   * under a spray of bad keys. Default 60000.
   */
  negativeCacheTtlMs?: number;
  /** Entries remembered, good and bad together; the oldest go first. Default 10000. */
  cacheSize?: number;
}

export interface ApiKeyVerifier {
  /** The key's viewer (its scopes, no user); InvalidApiKeyError or ApiKeyCheckUnavailableError otherwise. */
  verify(secret: string): Promise<Viewer>;
}

/**
 * The secret of an `X-API-Key` header; undefined when there is none (or it is empty). A header that is
 * not shaped like a Brigade key (truncated, two headers joined) is refused here, before auth is asked.
 */
export function apiKeyOf(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') throw new InvalidApiKeyError('malformed');
  const secret = header.trim();
  if (secret === '') return undefined;
  if (apiKeyIdOf(secret) === undefined) throw new InvalidApiKeyError('malformed');
  return secret;
}

const GRANT = 'query ApiKeyGrant($secret: String!) { apiKeyGrant(secret: $secret) { keyId scopes expiresAt } }';

interface Grant {
  keyId: string;
  scopes: string[];
  expiresAt: string | null;
}

type Entry = { viewer: Viewer; until: number } | { viewer: undefined; until: number };

/**
 * Verifies API keys by asking auth (its internal `apiKeyGrant`, over a service credential), and
 * remembers the answer: a good key for `cacheTtlMs` (never past its expiry), a bad one for
 * `negativeCacheTtlMs`. Concurrent requests with the same key share one call to auth. Entries are keyed
 * by a SHA-256 of the secret, so the secrets themselves are not kept in memory.
 */
export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const ttl = options.cacheTtlMs ?? 5_000;
  const negativeTtl = options.negativeCacheTtlMs ?? 60_000;
  const size = options.cacheSize ?? 10_000;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Entry>>();

  const remember = (key: string, entry: Entry): void => {
    cache.delete(key);
    // Map order is insertion order: dropping the first entry drops the oldest.
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    cache.set(key, entry);
  };

  const ask = async (secret: string): Promise<Entry> => {
    let grant: Grant | null;
    try {
      ({ apiKeyGrant: grant } = await options.auth.request<{ apiKeyGrant: Grant | null }>(GRANT, { secret }));
    } catch (error) {
      // The message names auth and what failed; it never contains the variables (the secret).
      throw new ApiKeyCheckUnavailableError(error instanceof ServiceCallError ? error.message : 'auth call failed');
    }
    const now = Date.now();
    if (!grant) return { viewer: undefined, until: now + negativeTtl };
    const expires = grant.expiresAt ? Date.parse(grant.expiresAt) : Infinity;
    if (!(expires > now)) return { viewer: undefined, until: now + negativeTtl };
    return { viewer: keyViewer(grant.keyId, grant.scopes), until: Math.min(now + ttl, expires) };
  };

  return {
    async verify(secret) {
      const key = createHash('sha256').update(secret).digest('base64url');
      let entry = cache.get(key);
      if (!entry || entry.until <= Date.now()) {
        let pending = inFlight.get(key);
        if (!pending) {
          pending = ask(secret);
          inFlight.set(key, pending);
          const forget = () => inFlight.delete(key);
          pending.then(forget, forget);
        }
        entry = await pending;
        remember(key, entry);
      }
      if (!entry.viewer) throw new InvalidApiKeyError('unknown, revoked or expired');
      return entry.viewer;
    },
  };
}

/**
 * The API key stage of a request, as one function over its headers: the key's viewer, or undefined when
 * there is no `X-API-Key` (the bearer token, if any, decides). Refuses with an HttpError: 400 when a
 * bearer token comes with the key (two credentials, two identities: RFC 6750's invalid_request), 401 for
 * a malformed, unknown, revoked or expired key, 503 when auth cannot be asked. Errors and logs name no secret.
 */
export function createApiKeyAuthentication(
  options: ApiKeyVerifierOptions & { logger?: Logger },
): (headers: IncomingHttpHeaders, requestId?: string) => Promise<Viewer | undefined> {
  const verifier = createApiKeyVerifier(options);
  return async (headers, requestId) => {
    try {
      const secret = apiKeyOf(headers[API_KEY_HEADER]);
      if (secret === undefined) return undefined;
      if (typeof headers.authorization === 'string' ? headers.authorization.trim() !== '' : headers.authorization !== undefined) {
        throw new HttpError(400, ErrorCode.BadRequest, 'Send a bearer token or an API key, not both.', {
          'www-authenticate': 'Bearer error="invalid_request"',
        });
      }
      return await verifier.verify(secret);
    } catch (error) {
      if (error instanceof InvalidApiKeyError) {
        throw new HttpError(401, ErrorCode.Unauthenticated, 'Invalid, revoked or expired API key.');
      }
      if (error instanceof ApiKeyCheckUnavailableError) {
        options.logger?.warn({ reqId: requestId, reason: error.message }, 'API key could not be verified');
        throw new HttpError(503, ErrorCode.ServiceUnavailable, 'Cannot verify API keys right now.', { 'retry-after': '5' });
      }
      throw error;
    }
  };
}
