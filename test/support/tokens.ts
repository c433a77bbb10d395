import { INTERNAL_TOKEN_TYPE } from '@brigade/platform';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';

/** What auth puts in an access token's header and claims (DESIGN.md, "Tokens"). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ISSUER = 'brigade-auth';
export const AUDIENCE = 'brigade';

/** An Ed25519 private JWK, usable as auth's AUTH_SIGNING_KEY so tests can sign tokens auth would sign. */
export async function newSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' };
}

export interface AccessClaims {
  sub?: string;
  scope?: string;
  roles?: string[];
  iss?: string;
  aud?: string;
  /** Seconds from now; null leaves `exp` out. Default 300. */
  expiresIn?: number | null;
  /** Header overrides (`kid`, `typ`). */
  header?: { kid?: string; typ?: string };
}

/**
 * An access token signed with `key`, exactly like auth's unless `claims` says otherwise: the one tool
 * every forged-token test uses, checked against a valid token so a broken forger cannot pass for a
 * strict gateway.
 */
export async function signAccessToken(key: JWK, claims: AccessClaims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: claims.scope ?? '', roles: claims.roles ?? ['CUSTOMER'] })
    .setProtectedHeader({ alg: 'EdDSA', kid: claims.header?.kid ?? key.kid!, typ: claims.header?.typ ?? ACCESS_TOKEN_TYPE })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setSubject(claims.sub ?? randomUUID())
    .setIssuedAt(now - 1)
    .setJti(randomUUID());
  const expiresIn = claims.expiresIn === undefined ? 300 : claims.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  return jwt.sign(await importJWK(key, 'EdDSA'));
}

/** `alg: none`: an unsigned token with an empty signature part. */
export function unsignedToken(payload: Record<string, unknown>, kid: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: ACCESS_TOKEN_TYPE, kid })}.${part(payload)}.`;
}

/** The classic key-confusion attack: HS256 with the server's public key as the shared secret. */
export async function hs256WithPublicKey(publicJwk: JWK, payload: Record<string, unknown>): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYPE, kid: publicJwk.kid! })
    .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
}

export function standardClaims(sub: string, scope = ''): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: ISSUER, aud: AUDIENCE, sub, scope, roles: ['ADMIN'], iat: now, exp: now + 300, jti: randomUUID() };
}

/** An internal credential as `issuer` would mint it, but with any lifetime (negative: already expired). */
export async function signCredential(
  key: JWK,
  issuer: string,
  audience: string,
  {
    issuedAgoS = 0,
    lifetimeS = 60,
    sub,
    scope = 'stock:write',
    roles = ['STAFF'],
  }: { issuedAgoS?: number; lifetimeS?: number; sub?: string; scope?: string; roles?: string[] } = {},
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000) - issuedAgoS;
  const jwt = new SignJWT(sub ? { scope, roles } : {})
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid!, typ: INTERNAL_TOKEN_TYPE })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeS)
    .setJti(randomUUID());
  if (sub) jwt.setSubject(sub);
  return jwt.sign(await importJWK(key, 'EdDSA'));
}
