import { SignJWT, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { CredentialError, CredentialMinter, CredentialVerifier, generateServiceKey, INTERNAL_TOKEN_TYPE } from '../src/credentials.js';
import { ANONYMOUS, keyViewer, satisfiesScopes, userViewer } from '../src/viewer.js';

describe('internal credentials for API keys', () => {
  it('when the gateway mints for a key, then the subgraph reads a key viewer with its scopes and no user', async () => {
    const key = await generateServiceKey('gateway');
    const minter = new CredentialMinter('gateway', key.privateJwk);
    const verifier = new CredentialVerifier('orders', { keys: [key.publicJwk] }, ['gateway']);
    const { viewer } = await verifier.verify(await minter.mint('orders', keyViewer('k-1', 'orders:manage')));
    expect(viewer).toMatchObject({ kind: 'key', keyId: 'k-1' });
    expect(viewer.kind === 'key' && [...viewer.scopes]).toEqual(['orders:manage']);
    expect('userId' in viewer).toBe(false);
    expect(satisfiesScopes(viewer, [['orders:manage']])).toBe(true);
    expect(satisfiesScopes(viewer, [['users:manage']])).toBe(false);
    // A user with the same scopes and an anonymous caller get credentials of their own, not the key's.
    expect((await verifier.verify(await minter.mint('orders', userViewer('u-1', 'orders:manage')))).viewer.kind).toBe('user');
    expect((await verifier.verify(await minter.mint('orders', ANONYMOUS))).viewer.kind).toBe('anonymous');
  });

  it('when a credential names both a user and a key, then it is refused', async () => {
    const key = await generateServiceKey('gateway');
    const verifier = new CredentialVerifier('orders', { keys: [key.publicJwk] }, ['gateway']);
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ key: 'k-1', scope: 'users:manage' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key.privateJwk.kid!, typ: INTERNAL_TOKEN_TYPE })
      .setIssuer('gateway')
      .setAudience('orders')
      .setSubject('u-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(await importJWK(key.privateJwk, 'EdDSA'));
    await expect(verifier.verify(token)).rejects.toThrow(CredentialError);
  });
});
