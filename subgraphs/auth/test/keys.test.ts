import { exportJWK, generateKeyPair, decodeProtectedHeader } from 'jose';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, scratchFolder } from '@brigade/testing';
import { startAuth, type AuthHarness } from './harness.js';

const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { accessToken user { roles } } }`;
const ADMIN = { email: 'admin@brigade.local', password: 'brigade-admin' };

async function kids(auth: AuthHarness): Promise<string[]> {
  const jwks = (await (await fetch(`${auth.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}

describe.each(ENGINES)('signing keys on %s', (engine) => {
  let auth: AuthHarness | undefined;
  afterEach(async () => {
    await auth?.stop();
    auth = undefined;
  });

  it('when a retired key outlives the access-token lifetime, then it is no longer published', async () => {
    auth = await startAuth(engine, { ACCESS_TOKEN_TTL_S: '1' });
    const [oldKid] = await kids(auth);
    const newKid = await auth.server.rotateSigningKey();
    expect(await kids(auth)).toEqual(expect.arrayContaining([oldKid, newKid]));
    let published = await kids(auth);
    for (let i = 0; i < 100 && published.includes(oldKid!); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      published = await kids(auth);
    }
    expect(published).toEqual([newKid]);
  });

  it('when AUTH_SIGNING_KEY is configured, then access tokens are signed with it and only its public half is published', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'configured-1' };
    auth = await startAuth(engine, { AUTH_SIGNING_KEY: JSON.stringify(jwk) });
    const result = await auth.query(LOG_IN, { input: ADMIN });
    expect(decodeProtectedHeader(result.body.data!.logIn.accessToken).kid).toBe('configured-1');
    const res = await fetch(`${auth.url}/.well-known/jwks.json`);
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toEqual([expect.objectContaining({ kid: 'configured-1', kty: 'OKP', alg: 'EdDSA', x: jwk.x })]);
    expect(body.keys[0]).not.toHaveProperty('d');
  });
});

describe('restart on the same data folder', () => {
  it('when auth starts again, then the admin and the signing key are kept, not duplicated', async () => {
    const dataDir = await scratchFolder('brigade-auth-restart-');
    try {
      const first = await startAuth('pglite', { DATA_DIR: dataDir });
      const kid = decodeProtectedHeader((await first.query(LOG_IN, { input: ADMIN })).body.data!.logIn.accessToken).kid;
      await first.stop();
      const second = await startAuth('pglite', { DATA_DIR: dataDir });
      try {
        const again = await second.query(LOG_IN, { input: ADMIN });
        expect(again.body.data!.logIn.user.roles).toEqual(['ADMIN', 'STAFF', 'CUSTOMER']);
        expect(decodeProtectedHeader(again.body.data!.logIn.accessToken).kid).toBe(kid);
        expect(await kids(second)).toEqual([kid]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
