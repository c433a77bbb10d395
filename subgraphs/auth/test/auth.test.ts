import { userViewer } from '@brigade/platform';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@brigade/platform';
import { loadConfig } from '../src/config.js';
import { ENGINES, TEST_DATABASE_URL, eventually, viewerOf } from '@brigade/testing';
import { startAuth, type AuthHarness, type GraphQLResult } from './harness.js';

const SESSION = 'accessToken refreshToken tokenType expiresIn user { id email name roles }';
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${SESSION} } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { ${SESSION} } }`;
const REFRESH = `mutation($t: String!) { refreshToken(refreshToken: $t) { ${SESSION} } }`;
const LOG_OUT = `mutation($t: String!) { logOut(refreshToken: $t) }`;
const ME = '{ me { id email name roles } }';
const ADMIN = { email: 'admin@brigade.local', password: 'brigade-admin' };

let counter = 0;
const uniqueEmail = () => `user${Date.now().toString(36)}${counter++}@example.com`;

function errorOf(result: GraphQLResult) {
  expect(result.body.errors, JSON.stringify(result.body)).toBeDefined();
  return result.body.errors![0]!;
}

describe.each(ENGINES)('auth subgraph on %s', (engine) => {
  const databaseUrl = engine === 'postgres' ? TEST_DATABASE_URL : undefined;
  let auth: AuthHarness;
  beforeAll(async () => {
    auth = await startAuth(engine);
  });
  afterAll(() => auth?.stop());

  async function signUp(input: { email?: string; password?: string; name?: string } = {}) {
    const result = await auth.query(SIGN_UP, {
      input: { email: uniqueEmail(), password: 'correct horse', name: 'Ann', ...input },
    });
    return result;
  }
  async function session(result: GraphQLResult) {
    expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
    return result.body.data!.signUp ?? result.body.data!.logIn ?? result.body.data!.refreshToken;
  }

  it('when a user signs up, logs in and asks for me, then the tokens and the user match the contract', async () => {
    const email = uniqueEmail();
    const created = await session(await signUp({ email: `  ${email}  `, name: ' Ann Lee ' }));
    expect(created).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { email, name: 'Ann Lee', roles: ['CUSTOMER'] } });

    const loggedIn = await session(await auth.query(LOG_IN, { input: { email: email.toUpperCase(), password: 'correct horse' } }));
    expect(loggedIn.user.id).toBe(created.user.id);
    expect(loggedIn.refreshToken).not.toBe(created.refreshToken);

    const header = decodeProtectedHeader(loggedIn.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(header.kid).toEqual(expect.any(String));
    const claims = decodeJwt(loggedIn.accessToken);
    expect(claims).toMatchObject({ iss: 'brigade-auth', aud: 'brigade', sub: created.user.id, scope: '', roles: ['CUSTOMER'] });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.jti).toEqual(expect.any(String));

    const me = await auth.query(ME, {}, viewerOf(loggedIn.accessToken));
    expect(me.body).toEqual({ data: { me: { id: created.user.id, email, name: 'Ann Lee', roles: ['CUSTOMER'] } } });
  });

  it('when me is asked anonymously, then it is UNAUTHENTICATED', async () => {
    const result = await auth.query(ME);
    expect(result.body.data?.me).toBeNull();
    expect(errorOf(result).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('when an email is taken in another case, then sign-up is BAD_USER_INPUT on email', async () => {
    const email = uniqueEmail();
    await session(await signUp({ email }));
    const error = errorOf(await signUp({ email: email.toUpperCase() }));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  it.each([
    ['email', { email: 'not-an-email' }],
    ['email', { email: `${'a'.repeat(250)}@example.com` }],
    ['password', { password: 'short' }],
    ['password', { password: 'x'.repeat(201) }],
    ['name', { name: '   ' }],
    ['name', { name: 'n'.repeat(101) }],
  ])('when sign-up gets a bad %s, then BAD_USER_INPUT names it', async (field, input) => {
    expect(errorOf(await signUp(input)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('when the password is wrong or the email unknown, then the error is the same', async () => {
    const email = uniqueEmail();
    await session(await signUp({ email }));
    const wrongPassword = errorOf(await auth.query(LOG_IN, { input: { email, password: 'wrong password' } }));
    const unknownEmail = errorOf(await auth.query(LOG_IN, { input: { email: uniqueEmail(), password: 'correct horse' } }));
    expect(wrongPassword).toEqual(unknownEmail);
    expect(wrongPassword).toMatchObject({ message: 'Invalid email or password.', extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('when a refresh token is used, then a new pair is issued and the old token is spent', async () => {
    const first = await session(await signUp());
    const second = await session(await auth.query(REFRESH, { t: first.refreshToken }));
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.user.id).toBe(first.user.id);
    expect(decodeJwt(second.accessToken).sub).toBe(first.user.id);
    const third = await session(await auth.query(REFRESH, { t: second.refreshToken }));
    expect(third.user.id).toBe(first.user.id);
  });

  it('when a spent refresh token is reused, then its whole family is revoked', async () => {
    const first = await session(await signUp());
    const second = await session(await auth.query(REFRESH, { t: first.refreshToken }));
    const reuse = errorOf(await auth.query(REFRESH, { t: first.refreshToken }));
    expect(reuse.extensions?.code).toBe('UNAUTHENTICATED');
    expect(errorOf(await auth.query(REFRESH, { t: second.refreshToken })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('when one refresh token is used concurrently, then exactly one refresh succeeds', async () => {
    const first = await session(await signUp());
    const results = await Promise.all(Array.from({ length: 6 }, () => auth.query(REFRESH, { t: first.refreshToken })));
    const ok = results.filter((r) => r.body.data?.refreshToken);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((r) => !r.body.data?.refreshToken)) {
      expect(errorOf(r).extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  // PGlite runs one transaction at a time, so the race only exists on PostgreSQL.
  it.skipIf(!databaseUrl)(
    'when a reused token revokes a family while its current token is being refreshed, then no token of the family works afterwards',
    async () => {
      const holder = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${auth.databaseSchema}` });
      await holder.connect();
      try {
        const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        const blockedBy = async (pid: number) =>
          (await holder.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid])).rows;
        const blocked = async (what: string, pid: number) => {
          await eventually(what, async () => (await blockedBy(pid)).length > 0);
          return (await blockedBy(pid))[0]!.pid;
        };
        const rounds = await Promise.all(
          Array.from({ length: 20 }, async () => {
            const first = await session(await signUp());
            const current = await session(await auth.query(REFRESH, { t: first.refreshToken }));
            return { first, current };
          }),
        );
        for (const { first, current } of rounds) {
          // Holding the user row stops the legitimate refresh at the foreign-key check of the token it
          // issues: after it spent `current`, before it commits. The reuse of the spent first token is
          // sent exactly then, and the refresh is let go once the revocation waits on it.
          await holder.query('BEGIN');
          await holder.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [current.user.id]);
          const renewing = auth.query(REFRESH, { t: current.refreshToken });
          const refreshPid = await blocked('the refresh waits inside its transaction', holderPid);
          const reusing = auth.query(REFRESH, { t: first.refreshToken });
          await blocked('the revocation waits for the refresh', refreshPid);
          await holder.query('ROLLBACK');
          expect(errorOf(await reusing).extensions?.code).toBe('UNAUTHENTICATED');
          const renewed = await renewing;
          const next: string | undefined = renewed.body.data?.refreshToken?.refreshToken;
          // The issued token first: presenting a spent one would revoke the family all over again.
          for (const t of [...(next ? [next] : []), current.refreshToken]) {
            const r = await auth.query(REFRESH, { t });
            expect(r.body.data?.refreshToken ?? null, 'a token of the revoked family still refreshed').toBeNull();
            expect(errorOf(r).extensions?.code).toBe('UNAUTHENTICATED');
          }
        }
      } finally {
        await holder.end();
      }
    },
  );

  it('when an unknown refresh token is used, then UNAUTHENTICATED', async () => {
    expect(errorOf(await auth.query(REFRESH, { t: 'A'.repeat(43) })).extensions?.code).toBe('UNAUTHENTICATED');
    expect(errorOf(await auth.query(REFRESH, { t: 'A'.repeat(5000) })).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('when a user logs out, then the family is revoked and a second log-out reports nothing revoked', async () => {
    const first = await session(await signUp());
    const second = await session(await auth.query(REFRESH, { t: first.refreshToken }));
    expect((await auth.query(LOG_OUT, { t: first.refreshToken })).body).toEqual({ data: { logOut: true } });
    expect(errorOf(await auth.query(REFRESH, { t: second.refreshToken })).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await auth.query(LOG_OUT, { t: second.refreshToken })).body).toEqual({ data: { logOut: false } });
    expect((await auth.query(LOG_OUT, { t: 'unknown' })).body).toEqual({ data: { logOut: false } });
  });

  it('when the JWKS is fetched, then it is cacheable and verifies an access token', async () => {
    const created = await session(await signUp());
    const res = await fetch(`${auth.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    const { payload } = await jwtVerify(created.accessToken, createRemoteJWKSet(new URL(`${auth.url}/.well-known/jwks.json`)), {
      issuer: 'brigade-auth',
      audience: 'brigade',
      typ: 'at+jwt',
      algorithms: ['EdDSA'],
    });
    expect(payload.sub).toBe(created.user.id);
  });

  it('when the signing key is rotated, then old tokens still verify and new tokens use the new key', async () => {
    const before = await session(await signUp());
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const newKid = await auth.server.rotateSigningKey();
    expect(newKid).not.toBe(oldKid);
    const after = await session(await auth.query(LOG_IN, { input: { email: before.user.email, password: 'correct horse' } }));
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);

    const jwks = (await (await fetch(`${auth.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    const keySet = createLocalJWKSet(jwks as never);
    for (const token of [before.accessToken, after.accessToken]) {
      await expect(jwtVerify(token, keySet, { issuer: 'brigade-auth', audience: 'brigade' })).resolves.toBeDefined();
    }
  });

  it('when an admin grants STAFF, then the user gets the staff scopes at the next log-in', async () => {
    const admin = await session(await auth.query(LOG_IN, { input: ADMIN }));
    expect(admin.user.roles).toEqual(expect.arrayContaining(['ADMIN', 'STAFF', 'CUSTOMER']));
    expect(decodeJwt(admin.accessToken).scope).toBe('menu:write orders:manage stock:write users:manage');

    const user = await session(await signUp());
    const granted = await auth.query(
      'mutation($id: ID!) { grantRole(userId: $id, role: STAFF) { id roles } }',
      { id: user.user.id },
      viewerOf(admin.accessToken),
    );
    expect(granted.body).toEqual({ data: { grantRole: { id: user.user.id, roles: ['CUSTOMER', 'STAFF'] } } });
    const again = await session(await auth.query(LOG_IN, { input: { email: user.user.email, password: 'correct horse' } }));
    expect(decodeJwt(again.accessToken)).toMatchObject({ scope: 'orders:manage stock:write', roles: ['CUSTOMER', 'STAFF'] });

    const lookup = await auth.query('query($id: ID!) { user(id: $id) { id email } }', { id: user.user.id }, viewerOf(admin.accessToken));
    expect(lookup.body).toEqual({ data: { user: { id: user.user.id, email: user.user.email } } });

    const unknown = await auth.query('mutation { grantRole(userId: "nobody", role: STAFF) { id } }', {}, viewerOf(admin.accessToken));
    expect(errorOf(unknown).extensions?.code).toBe('NOT_FOUND');
  });

  it('when a customer calls user or grantRole, then FORBIDDEN', async () => {
    const user = await session(await signUp());
    const viewer = viewerOf(user.accessToken);
    const lookup = await auth.query('query($id: ID!) { user(id: $id) { id } }', { id: user.user.id }, viewer);
    expect(errorOf(lookup).extensions?.code).toBe('FORBIDDEN');
    const grant = await auth.query('mutation($id: ID!) { grantRole(userId: $id, role: ADMIN) { id } }', { id: user.user.id }, viewer);
    expect(errorOf(grant).extensions?.code).toBe('FORBIDDEN');
    expect((await auth.query(ME, {}, viewer)).body.data?.me.roles).toEqual(['CUSTOMER']);
  });

  it('when users are fetched as entities, then email is shown to themselves and staff only', async () => {
    const ann = await session(await signUp());
    const bob = await session(await signUp());
    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name email } } }`;
    const reps = {
      r: [
        { __typename: 'User', id: ann.user.id },
        { __typename: 'User', id: bob.user.id },
        { __typename: 'User', id: 'nobody' },
      ],
    };

    const asAnn = await auth.query(entities, reps, viewerOf(ann.accessToken));
    expect(asAnn.body.data?._entities).toEqual([{ id: ann.user.id, name: 'Ann', email: ann.user.email }, null, null]);
    expect(errorOf(asAnn)).toMatchObject({ path: ['_entities', 1, 'email'], extensions: { code: 'FORBIDDEN' } });

    const asStaff = await auth.query(entities, reps, userViewer('someone', 'orders:manage stock:write', ['STAFF']));
    expect(asStaff.body).toEqual({
      data: {
        _entities: [{ id: ann.user.id, name: 'Ann', email: ann.user.email }, { id: bob.user.id, name: 'Ann', email: bob.user.email }, null],
      },
    });
  });

  it('when a request carries no valid credential for auth, then it is refused with 401', async () => {
    const user = await session(await signUp());
    const refusals = [
      undefined,
      'Bearer garbage',
      `Bearer ${user.accessToken}`,
      `Bearer ${await auth.mint('gateway', 'menu')}`,
      `Bearer ${await auth.mint('menu', 'auth')}`,
      // No service but the gateway calls auth, so none other is trusted (a compromised orders cannot mint users:manage).
      `Bearer ${await auth.mint('orders', 'auth')}`,
    ];
    for (const authorization of refusals) {
      const result = await auth.raw(authorization, '{ _service { sdl } }');
      expect(result.status, authorization).toBe(401);
      expect(errorOf(result).extensions?.code).toBe('UNAUTHENTICATED');
    }
    const fromGateway = await auth.raw(`Bearer ${await auth.mint('gateway', 'auth')}`, '{ _service { sdl } }');
    expect(fromGateway.status).toBe(200);
    expect(fromGateway.body.data?._service.sdl).toContain('type User');
  });
});

describe('auth configuration', () => {
  const keys = {
    SERVICE_SIGNING_KEY: '{"kid":"auth.x"}',
    SERVICE_TRUSTED_KEYS: '{"keys":[]}',
    DATA_DIR: 'memory',
    ALLOW_MEMORY_DATA: 'true',
  };

  it('when production lacks an admin account, then loading fails', async () => {
    await expect(loadConfig({ ...keys, NODE_ENV: 'production', ADMIN_EMAIL: 'a@b.co' })).rejects.toThrow(ConfigError);
    await expect(loadConfig({ ...keys, NODE_ENV: 'production', ADMIN_PASSWORD: 'long enough' })).rejects.toThrow(/ADMIN_EMAIL/);
  });

  it('when development lacks an admin account, then the default is used and flagged', async () => {
    const config = await loadConfig(keys);
    expect(config).toMatchObject({ adminEmail: 'admin@brigade.local', adminIsDefault: true, accessTokenTtlS: 900 });
    const prod = await loadConfig({ ...keys, NODE_ENV: 'production', ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'long enough' });
    expect(prod.adminIsDefault).toBe(false);
  });

  it('when the admin password or a TTL is invalid, then loading fails naming it', async () => {
    await expect(loadConfig({ ...keys, ADMIN_PASSWORD: 'short' })).rejects.toThrow(/ADMIN_PASSWORD/);
    await expect(loadConfig({ ...keys, ACCESS_TOKEN_TTL_S: '0' })).rejects.toThrow(/ACCESS_TOKEN_TTL_S/);
    await expect(loadConfig({ ...keys, AUTH_SIGNING_KEY: '{"kty":"OKP"}' })).rejects.toThrow(/AUTH_SIGNING_KEY/);
  });
});
