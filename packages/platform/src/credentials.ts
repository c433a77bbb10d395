import { createHash, randomUUID } from 'node:crypto';
import {
  SignJWT,
  createLocalJWKSet,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { ANONYMOUS, userViewer, type Viewer } from './viewer.js';

/**
 * Internal credentials: short-lived JWTs one Brigade service mints for exactly one other
 * (`aud` = the callee's name). They carry the caller's identity, so no subgraph ever trusts a bare header.
 * Each issuing service has its own Ed25519 key; a key's `kid` starts with its service's name, which binds
 * the key to the issuer a verifier accepts.
 */
export const INTERNAL_TOKEN_TYPE = 'brigade-internal+jwt';
const ALG = 'EdDSA';
/** The one service whose credentials carry an end user's scopes and roles. */
export const END_USER_SCOPES_ISSUER = 'gateway';
const LIFETIME_S = 60;
/** Reuse a minted credential while it has at least this long left. */
const REUSE_MARGIN_S = 20;

export interface ServiceKey {
  /** Private JWK (with `kid`). */
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function generateServiceKey(service: string): Promise<ServiceKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `${service}.${createHash('sha256').update(publicJwk.x!).digest('base64url').slice(0, 12)}`;
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' },
    publicJwk: { ...publicJwk, kid, alg: ALG, use: 'sig' },
  };
}

export interface CredentialClaims {
  readonly viewer: Viewer;
  /** The service that minted the credential. */
  readonly issuer: string;
}

/** Mints credentials for calls from `service` to other services, reusing each until close to expiry. */
export class CredentialMinter {
  private readonly cache = new Map<string, { token: string; exp: number }>();
  private key?: Promise<CryptoKey | Uint8Array>;

  constructor(
    readonly service: string,
    private readonly privateJwk: JWK,
  ) {
    if (!privateJwk.kid?.startsWith(`${service}.`)) {
      throw new Error(`the signing key of ${service} must have a kid starting with "${service}."`);
    }
  }

  async mint(audience: string, viewer: Viewer = ANONYMOUS): Promise<string> {
    // Only the gateway speaks with an end user's scopes; any other service passes who, never what they may do.
    if (this.service !== END_USER_SCOPES_ISSUER && viewer.kind === 'user') viewer = userViewer(viewer.userId, '', []);
    const cacheKey =
      viewer.kind === 'user'
        ? `${audience}\u0000${viewer.userId}\u0000${[...viewer.scopes].join(' ')}\u0000${viewer.roles.join(' ')}`
        : `${audience}\u0000`;
    const now = Math.floor(Date.now() / 1000);
    const hit = this.cache.get(cacheKey);
    if (hit && hit.exp - now > REUSE_MARGIN_S) return hit.token;
    this.key ??= importJWK(this.privateJwk, ALG);
    const exp = now + LIFETIME_S;
    const claims =
      viewer.kind === 'user' ? { scope: [...viewer.scopes].join(' '), roles: [...viewer.roles] } : {};
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, kid: this.privateJwk.kid!, typ: INTERNAL_TOKEN_TYPE })
      .setIssuer(this.service)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(randomUUID());
    if (viewer.kind === 'user') jwt.setSubject(viewer.userId);
    const token = await jwt.sign(await this.key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { token, exp });
    return token;
  }
}

export class CredentialError extends Error {}

/** Verifies credentials addressed to `audience`, minted by one of `issuers`, signed by that issuer's key. */
export class CredentialVerifier {
  private readonly jwks: ReturnType<typeof createLocalJWKSet>;
  private readonly cache = new Map<string, { claims: CredentialClaims; exp: number }>();

  constructor(
    private readonly audience: string,
    trustedKeys: JSONWebKeySet,
    private readonly issuers: readonly string[],
  ) {
    this.jwks = createLocalJWKSet(trustedKeys);
  }

  async verify(token: string): Promise<CredentialClaims> {
    const now = Math.floor(Date.now() / 1000);
    const hit = this.cache.get(token);
    if (hit && hit.exp > now) return hit.claims;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.jwks, {
        algorithms: [ALG],
        audience: this.audience,
        issuer: [...this.issuers],
        typ: INTERNAL_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'iss', 'aud'],
        maxTokenAge: LIFETIME_S + 5,
        clockTolerance: 5,
      });
      if (!protectedHeader.kid?.startsWith(`${payload.iss}.`)) {
        throw new CredentialError('credential signed with another service’s key');
      }
      // Scopes and roles are believed from the gateway only (it verified the user's access token); a
      // credential from any other service names at most a user, with no end-user permissions.
      const fromGateway = payload.iss === END_USER_SCOPES_ISSUER;
      const viewer =
        typeof payload.sub === 'string'
          ? userViewer(
              payload.sub,
              fromGateway && typeof payload.scope === 'string' ? payload.scope : '',
              fromGateway && Array.isArray(payload.roles) ? payload.roles.map(String) : [],
            )
          : ANONYMOUS;
      const claims: CredentialClaims = { viewer, issuer: payload.iss! };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, { claims, exp: payload.exp! });
      return claims;
    } catch (error) {
      if (error instanceof CredentialError) throw error;
      if (error instanceof joseErrors.JOSEError) throw new CredentialError(error.code);
      throw new CredentialError('malformed credential');
    }
  }
}
