import { userViewer, type Viewer } from '@brigade/platform';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/** The `typ` header of auth's access tokens; internal credentials (`brigade-internal+jwt`) are refused. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** Asymmetric only: an allow-list, so `none` and HS256 signed with a public key never verify. */
export const ACCESS_TOKEN_ALGORITHMS = ['EdDSA', 'ES256'];

/** The access token is not acceptable: the request must be refused with 401. */
export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(`invalid access token: ${reason}`);
  }
}

/** The keys could not be fetched from auth: not the client's fault, so a 503 rather than a 401. */
export class JwksUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`access-token keys unavailable: ${reason}`);
  }
}

export interface AccessTokenVerifierOptions {
  /** Auth's `/.well-known/jwks.json`. */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** Abandon a JWKS fetch after this long. Default 2000. */
  timeoutMs?: number;
  /** Leeway for `exp`, `nbf` and `iat` between machines' clocks. Default 30. */
  clockToleranceS?: number;
  /**
   * Minimum time between two JWKS fetches triggered by an unknown `kid`: bounds how hard forged tokens
   * can make the gateway hit auth. A token with a really new key waits for it at most once. Default 1000.
   */
  cooldownMs?: number;
  /** Keys are refetched at least this often even when every `kid` is known. Default 600000 (10 min). */
  cacheMaxAgeMs?: number;
  /** Verified tokens remembered (until their `exp`). Default 10000. */
  cacheSize?: number;
}

export interface AccessTokenVerifier {
  /** The viewer the token speaks for; InvalidTokenError when it is not a valid access token. */
  verify(token: string): Promise<Viewer>;
}

/** jose codes that describe the key source, not the token ('ERR_JOSE_GENERIC': a non-200 or non-JSON answer). */
const KEY_SOURCE_FAILURES: ReadonlySet<string> = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The token of an `Authorization: Bearer <token>` header. No header (or an empty one) is anonymous:
 * undefined. A header that is present but not a bearer token is an InvalidTokenError, never anonymous.
 */
export function bearerToken(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') throw new InvalidTokenError('more than one Authorization header');
  if (header.trim() === '') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match || !TOKEN68.test(match[1]!)) throw new InvalidTokenError('Authorization is not "Bearer <token>"');
  return match[1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Verifies auth's access tokens against its JWKS, fetched on demand, cached, and refetched when a token
 * names an unknown key. Every check jose offers is asked for explicitly: `exp` is required (jose checks it
 * only when present), as are `iat`, `sub` and `jti`.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const cooldownMs = options.cooldownMs ?? 1_000;
  const cacheSize = options.cacheSize ?? 10_000;
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: options.timeoutMs ?? 2_000,
    cooldownDuration: cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
  });

  // jose refuses to refetch for an unknown kid during its cooldown; a key rotated in right after a fetch
  // would then be refused for that whole time. Wait the cooldown out once and let jose fetch again.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      const deadline = Date.now() + cooldownMs;
      while (jwks.coolingDown && Date.now() < deadline) await sleep(Math.min(50, cooldownMs));
      return jwks(header, token);
    }
  };

  const verified = new Map<string, { viewer: Viewer; exp: number }>();

  return {
    async verify(token) {
      const now = Date.now() / 1000;
      const hit = verified.get(token);
      if (hit) {
        if (hit.exp > now) return hit.viewer;
        verified.delete(token);
      }
      let payload;
      try {
        ({ payload } = await jwtVerify(token, getKey, {
          algorithms: ACCESS_TOKEN_ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          typ: ACCESS_TOKEN_TYPE,
          requiredClaims: ['exp', 'iat', 'sub', 'jti'],
          clockTolerance: options.clockToleranceS ?? 30,
        }));
      } catch (error) {
        if (error instanceof joseErrors.JOSEError && !KEY_SOURCE_FAILURES.has(error.code)) {
          throw new InvalidTokenError(error.code);
        }
        // Timeouts, refused connections, non-200 answers or a malformed key set: auth's problem.
        throw new JwksUnavailableError(error instanceof Error ? error.message : String(error));
      }
      const { sub, scope, roles, exp } = payload;
      if (typeof sub !== 'string' || sub === '') throw new InvalidTokenError('sub');
      if (scope !== undefined && typeof scope !== 'string') throw new InvalidTokenError('scope');
      if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string'))) {
        throw new InvalidTokenError('roles');
      }
      const viewer = userViewer(sub, scope, (roles as string[] | undefined) ?? []);
      // Map order is insertion order: dropping the first entry drops the oldest.
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
      verified.set(token, { viewer, exp: exp! });
      return viewer;
    },
  };
}
