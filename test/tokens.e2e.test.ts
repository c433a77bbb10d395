import { CredentialMinter, userViewer } from '@brigade/platform';
import { startStack, type Stack } from '@brigade/testing';
import { decodeProtectedHeader, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hs256WithPublicKey, newSigningKey, signAccessToken, standardClaims, unsignedToken } from './support/tokens.js';

const ME = '{ me { id } }';
const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { user { id } } }';
const signUpInput = (email: string) => ({ input: { email, password: 'correct horse battery', name: 'Probe' } });

/** The gateway's answer to a raw Authorization header. */
async function send(stack: Stack, authorization: string | undefined, body: object) {
  const response = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

describe('access tokens at the gateway', () => {
  let stack: Stack;
  let key: JWK;

  beforeAll(async () => {
    // Auth signs with a key the test holds, so forged tokens can be exactly right but for one detail.
    key = await newSigningKey('e2e-key-1');
    stack = await startStack({ serviceEnv: { auth: { AUTH_SIGNING_KEY: JSON.stringify(key) } } });
  });
  afterAll(() => stack?.stop());

  it('when a token is signed like auth signs it, then the gateway accepts it (the forger is sound)', async () => {
    const user = await stack.signUp();
    expect(decodeProtectedHeader(user.accessToken).kid).toBe('e2e-key-1');
    const forged = await signAccessToken(key, { sub: user.id });
    const result = await stack.query(ME, { token: forged });
    expect(result.status).toBe(200);
    expect(result.data?.me).toEqual({ id: user.id });
  });

  describe('when a present token is invalid, then the request is refused with 401 UNAUTHENTICATED before any subgraph runs', () => {
    const attacks: [string, (ctx: { key: JWK; publicJwk: JWK; stack: Stack }) => Promise<string>][] = [
      ['wrong signature (other key, same kid)', async ({ key }) => signAccessToken(await newSigningKey(key.kid!))],
      ['alg none', async ({ key }) => `Bearer ${unsignedToken(standardClaims(randomUUID(), 'users:manage'), key.kid!)}`],
      [
        'HS256 signed with the public key',
        async ({ publicJwk }) => `Bearer ${await hs256WithPublicKey(publicJwk, standardClaims(randomUUID()))}`,
      ],
      ['expired', async ({ key }) => signAccessToken(key, { expiresIn: -3600 })],
      ['no exp', async ({ key }) => signAccessToken(key, { expiresIn: null })],
      ['wrong iss', async ({ key }) => signAccessToken(key, { iss: 'evil-auth' })],
      ['wrong aud', async ({ key }) => signAccessToken(key, { aud: 'another-api' })],
      ['unknown kid', async ({ key }) => signAccessToken(key, { header: { kid: 'no-such-key' } })],
      ['wrong typ (a JWT that is not an access token)', async ({ key }) => signAccessToken(key, { header: { typ: 'JWT' } })],
      [
        'internal gateway credential replayed',
        async ({ stack }) =>
          `Bearer ${await new CredentialMinter('gateway', stack.keyring.privateKeys.gateway).mint('auth', userViewer(randomUUID(), 'users:manage', ['ADMIN']))}`,
      ],
      ['refresh token as bearer', async ({ stack }) => `Bearer ${(await stack.signUp()).refreshToken}`],
      ['garbage', async () => 'Bearer not.a.jwt'],
      ['garbage with illegal characters', async () => 'Bearer {{garbage}}'],
      ['Bearer with nothing', async () => 'Bearer'],
      ['Basic credentials', async () => 'Basic YWRtaW46YWRtaW4='],
    ];

    it.each(attacks)('%s', async (_name, forge) => {
      const jwks = (await (await fetch(`${stack.origin}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
      const publicJwk = jwks.keys.find((k) => k.kid === key.kid)!;
      let header = await forge({ key, publicJwk, stack });
      if (!/^(Bearer|Basic)\b/.test(header)) header = `Bearer ${header}`;
      const email = `forged-${randomUUID()}@example.com`;

      const refused = await send(stack, header, { query: SIGN_UP, variables: signUpInput(email) });
      expect(refused.status).toBe(401);
      expect(refused.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
      expect(refused.body.data).toBeUndefined();
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);

      // Had the mutation reached auth, the address would now be taken.
      const fresh = await send(stack, undefined, { query: SIGN_UP, variables: signUpInput(email) });
      expect(fresh.body.errors).toBeUndefined();
      expect(fresh.body.data.signUp.user.id).toEqual(expect.any(String));
    });
  });

  it('when the Authorization header is empty, then the caller is anonymous rather than refused', async () => {
    const result = await send(stack, '', { query: ME });
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ me: null });
    expect(result.body.errors?.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
  });

  it('when the gateway serves /.well-known/jwks.json, then it holds auth’s public keys and no private part', async () => {
    const response = await fetch(`${stack.origin}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const fromGateway = (await response.json()) as { keys: JWK[] };
    const fromAuth = (await (await fetch(new URL('/.well-known/jwks.json', stack.services.auth.url))).json()) as { keys: JWK[] };
    expect(fromGateway.keys.map((k) => k.kid)).toContain('e2e-key-1');
    expect(fromGateway.keys).toEqual(fromAuth.keys);
    for (const k of fromGateway.keys) expect(k).not.toHaveProperty('d');
  });
});

describe('signing-key rotation through the stack', () => {
  let stack: Stack;
  let oldKey: JWK;

  beforeAll(async () => {
    oldKey = await newSigningKey('e2e-old-key');
    stack = await startStack({ serviceEnv: { auth: { AUTH_SIGNING_KEY: JSON.stringify(oldKey) } } });
  });
  afterAll(() => stack?.stop());

  it('when auth rotates its key, then new tokens work at once and old-key tokens work until they expire', async () => {
    const user = await stack.signUp();
    // The gateway fetches and caches the JWKS that has only the old key.
    expect((await stack.query(ME, { token: user.accessToken })).data?.me).toEqual({ id: user.id });

    const newKid = await (stack.services.auth.app as unknown as { rotateSigningKey(): Promise<string> }).rotateSigningKey();
    expect(newKid).not.toBe('e2e-old-key');

    const fresh = await stack.logIn(user.email, user.password);
    expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(newKid);
    const withNewKey = await stack.query(ME, { token: fresh.accessToken });
    expect(withNewKey.status).toBe(200);
    expect(withNewKey.data?.me).toEqual({ id: user.id });

    // A token the old key signs now (never seen, so not in any cache) still verifies against the refetched JWKS…
    const oldButValid = await signAccessToken(oldKey, { sub: user.id });
    const stillValid = await stack.query(ME, { token: oldButValid });
    expect(stillValid.status).toBe(200);
    expect(stillValid.data?.me).toEqual({ id: user.id });
    // …and the token issued before the rotation too.
    expect((await stack.query(ME, { token: user.accessToken })).data?.me).toEqual({ id: user.id });

    // Once an old-key token has expired it is refused like any other.
    const expired = await stack.query(ME, { token: await signAccessToken(oldKey, { sub: user.id, expiresIn: -3600 }) });
    expect(expired.status).toBe(401);
    expect(expired.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const published = (await (await fetch(new URL('/.well-known/jwks.json', stack.services.auth.url))).json()) as { keys: JWK[] };
    expect(published.keys.map((k) => k.kid).sort()).toEqual([newKid, 'e2e-old-key'].sort());
  });
});
