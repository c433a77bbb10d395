import { hasScope } from '@brigade/platform';
import { SignJWT, base64url, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidTokenError,
  JwksUnavailableError,
  bearerToken,
  createAccessTokenVerifier,
  type AccessTokenVerifier,
} from '../src/auth/accessTokens.js';

const ISSUER = 'brigade-auth';
const AUDIENCE = 'brigade';

interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(kid: string = randomUUID()): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } };
}

interface TokenOptions {
  key?: TestKey;
  kid?: string;
  typ?: string | null;
  iss?: string;
  aud?: string;
  sub?: string | null;
  exp?: number | null;
  nbf?: number;
  jti?: string | null;
  claims?: Record<string, unknown>;
}

/** A JWKS endpoint whose key list the tests change, like auth rotating its key. */
let published: JWK[] = [];
let jwksServer: Server;
let jwksUrl: string;
let current: TestKey;

async function sign(options: TokenOptions = {}): Promise<string> {
  const key = options.key ?? current;
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: 'orders:manage stock:write', roles: ['STAFF', 'CUSTOMER'], ...options.claims })
    .setProtectedHeader({
      alg: 'EdDSA',
      kid: options.kid ?? key.kid,
      ...(options.typ === null ? {} : { typ: options.typ ?? 'at+jwt' }),
    })
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt(now);
  if (options.sub !== null) jwt.setSubject(options.sub ?? 'user-1');
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now + 900);
  if (options.jti !== null) jwt.setJti(options.jti ?? randomUUID());
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(key.privateKey);
}

function unsigned(header: object, payload: object, signature = ''): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(payload)}.${signature}`;
}

async function refusal(verifier: AccessTokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'token was accepted').toBeInstanceOf(InvalidTokenError);
  return (error as InvalidTokenError).reason;
}

beforeAll(async () => {
  current = await newKey();
  published = [current.publicJwk];
  jwksServer = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

describe('access-token verifier', () => {
  const verifier = () => createAccessTokenVerifier({ jwksUrl, issuer: ISSUER, audience: AUDIENCE });

  it('when the token is valid, then the viewer carries its subject, scopes and roles', async () => {
    const v = verifier();
    const token = await sign();
    const viewer = await v.verify(token);
    expect(viewer).toMatchObject({ kind: 'user', userId: 'user-1', roles: ['STAFF', 'CUSTOMER'] });
    expect(hasScope(viewer, 'orders:manage') && hasScope(viewer, 'stock:write')).toBe(true);
    expect(hasScope(viewer, 'users:manage')).toBe(false);
    expect(await v.verify(token)).toBe(viewer);
  });

  it('when the signature is made with another key under the same kid, then the token is refused', async () => {
    const impostor = await newKey(current.kid);
    expect(await refusal(verifier(), await sign({ key: impostor }))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const token = await sign();
    const [header, payload] = token.split('.');
    const tampered = `${header}.${base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(payload!))), sub: 'admin' }))}.${token.split('.')[2]}`;
    expect(await refusal(verifier(), tampered)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('when the token says alg none, then it is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 'admin', iat: now, exp: now + 900, jti: 'x', scope: 'users:manage' };
    await refusal(verifier(), unsigned({ alg: 'none', typ: 'at+jwt', kid: current.kid }, claims));
    await refusal(verifier(), unsigned({ alg: 'none', typ: 'at+jwt' }, claims));
  });

  it('when the token is HS256 signed with the public key as the secret, then it is refused', async () => {
    const secrets = [base64url.decode(current.publicJwk.x!), new TextEncoder().encode(JSON.stringify(current.publicJwk))];
    for (const secret of secrets) {
      const token = await new SignJWT({ scope: 'users:manage' })
        .setProtectedHeader({ alg: 'HS256', kid: current.kid, typ: 'at+jwt' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject('admin')
        .setIssuedAt()
        .setExpirationTime('15m')
        .setJti('x')
        .sign(secret);
      expect(await refusal(verifier(), token)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    }
  });

  it('when the token is expired beyond the clock tolerance, then it is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(verifier(), await sign({ exp: now - 120 }))).toBe('ERR_JWT_EXPIRED');
  });

  it('when the token lacks exp, sub or jti, then it is refused', async () => {
    expect(await refusal(verifier(), await sign({ exp: null }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    await refusal(verifier(), await sign({ sub: null }));
    await refusal(verifier(), await sign({ jti: null }));
  });

  it('when the token is not yet valid, then it is refused', async () => {
    await refusal(verifier(), await sign({ nbf: Math.floor(Date.now() / 1000) + 600 }));
  });

  it('when the issuer or the audience is wrong, then the token is refused', async () => {
    expect(await refusal(verifier(), await sign({ iss: 'someone-else' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await refusal(verifier(), await sign({ aud: 'menu' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('when the token type is an internal credential or missing, then it is refused', async () => {
    await refusal(verifier(), await sign({ typ: 'brigade-internal+jwt' }));
    await refusal(verifier(), await sign({ typ: null }));
  });

  it('when scope or roles have the wrong shape, then the token is refused', async () => {
    expect(await refusal(verifier(), await sign({ claims: { scope: ['users:manage'] } }))).toBe('scope');
    expect(await refusal(verifier(), await sign({ claims: { roles: 'ADMIN' } }))).toBe('roles');
  });

  it('when the token is garbage, then it is refused', async () => {
    const v = verifier();
    for (const garbage of ['garbage', 'a.b.c', '', '..', unsigned({ alg: 'EdDSA' }, {}, 'AAAA')]) await refusal(v, garbage);
  });

  it('when the kid is unknown, then the token is refused, and a key rotated in later is fetched and accepted', async () => {
    const v = verifier();
    await v.verify(await sign());
    const rotated = await newKey();
    expect(await refusal(v, await sign({ key: rotated }))).toBe('ERR_JWKS_NO_MATCHING_KEY');
    published = [rotated.publicJwk, current.publicJwk];
    try {
      expect(await v.verify(await sign({ key: rotated, sub: 'user-2' }))).toMatchObject({ userId: 'user-2' });
      expect(await v.verify(await sign({ sub: 'user-3' }))).toMatchObject({ userId: 'user-3' });
    } finally {
      published = [current.publicJwk];
    }
  });

  it('when the key set cannot be fetched, then the failure is not blamed on the token', async () => {
    const down = createAccessTokenVerifier({
      jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
      issuer: ISSUER,
      audience: AUDIENCE,
      timeoutMs: 500,
    });
    await expect(down.verify(await sign())).rejects.toBeInstanceOf(JwksUnavailableError);
    const notFound = createAccessTokenVerifier({ jwksUrl: `${jwksUrl}-missing`, issuer: ISSUER, audience: AUDIENCE });
    await expect(notFound.verify(await sign())).rejects.toBeInstanceOf(JwksUnavailableError);
  });
});

describe('bearerToken', () => {
  it('when there is no Authorization header, then the caller is anonymous', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('  ')).toBeUndefined();
  });

  it('when the header is a bearer token, then the token is returned', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def-_ghi=')).toBe('abc.def-_ghi=');
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer '], ['Bearer a b'], ['abc.def.ghi'], ['Bearer a,b']])(
    'when the header is %j, then it is an invalid token, not anonymous',
    (header) => {
      expect(() => bearerToken(header)).toThrow(InvalidTokenError);
    },
  );

  it('when Authorization is sent twice, then it is an invalid token', () => {
    expect(() => bearerToken(['Bearer a', 'Bearer b'])).toThrow(InvalidTokenError);
  });
});
