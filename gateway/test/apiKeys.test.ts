import { HttpError, ServiceCallError } from '@brigade/platform';
import { describe, expect, it } from 'vitest';
import {
  apiKeyOf,
  ApiKeyCheckUnavailableError,
  createApiKeyAuthentication,
  createApiKeyVerifier,
  InvalidApiKeyError,
} from '../src/auth/apiKeys.js';

const SECRET = `brg_${'1'.repeat(32)}_${'a'.repeat(43)}`;
const OTHER = `brg_${'2'.repeat(32)}_${'b'.repeat(43)}`;
const KEY_ID = '11111111-1111-1111-1111-111111111111';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Auth's apiKeyGrant, answering from a table and counting calls. */
function fakeAuth(grants: Record<string, { keyId: string; scopes: string[]; expiresAt: string | null } | null | Error>) {
  const calls: string[] = [];
  return {
    calls,
    async request<T>(_query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const secret = variables.secret as string;
      calls.push(secret);
      await sleep(5);
      const grant = grants[secret];
      if (grant instanceof Error) throw grant;
      return { apiKeyGrant: grant ?? null } as T;
    },
  };
}

describe('X-API-Key header', () => {
  it('when the header is absent or empty, then there is no key; when it is not shaped like a key, then it is refused', () => {
    expect(apiKeyOf(undefined)).toBeUndefined();
    expect(apiKeyOf('  ')).toBeUndefined();
    expect(apiKeyOf(` ${SECRET} `)).toBe(SECRET);
    for (const bad of [SECRET.slice(0, -1), `${SECRET}x`, 'brg_', 'Bearer x', `${SECRET}, ${SECRET}`]) {
      expect(() => apiKeyOf(bad), bad).toThrow(InvalidApiKeyError);
    }
    expect(() => apiKeyOf([SECRET, SECRET])).toThrow(InvalidApiKeyError);
  });
});

describe('API key verification at the gateway', () => {
  it('when a key is verified, then it acts with exactly its scopes and is not asked again within the TTL, but is after it', async () => {
    const auth = fakeAuth({ [SECRET]: { keyId: KEY_ID, scopes: ['orders:manage'], expiresAt: null } });
    const verifier = createApiKeyVerifier({ auth, cacheTtlMs: 100 });
    const viewer = await verifier.verify(SECRET);
    expect(viewer).toMatchObject({ kind: 'key', keyId: KEY_ID });
    expect(viewer.kind === 'key' && [...viewer.scopes]).toEqual(['orders:manage']);
    await verifier.verify(SECRET);
    expect(auth.calls).toHaveLength(1);
    await sleep(120);
    await verifier.verify(SECRET);
    expect(auth.calls).toHaveLength(2);
  });

  it('when many requests bring the same unverified key at once, then auth is asked once', async () => {
    const auth = fakeAuth({ [SECRET]: { keyId: KEY_ID, scopes: ['orders:manage'], expiresAt: null } });
    const verifier = createApiKeyVerifier({ auth });
    await Promise.all(Array.from({ length: 20 }, () => verifier.verify(SECRET)));
    expect(auth.calls).toHaveLength(1);
  });

  it('when auth knows no grant, then the key is refused and stays refused without asking again', async () => {
    const auth = fakeAuth({});
    const verifier = createApiKeyVerifier({ auth, negativeCacheTtlMs: 10_000 });
    await expect(verifier.verify(OTHER)).rejects.toThrow(InvalidApiKeyError);
    await expect(verifier.verify(OTHER)).rejects.toThrow(InvalidApiKeyError);
    expect(auth.calls).toHaveLength(1);
  });

  it('when a grant expires before the TTL ends, then the key is refused from its expiry on', async () => {
    const auth = fakeAuth({
      [SECRET]: { keyId: KEY_ID, scopes: ['orders:manage'], expiresAt: new Date(Date.now() + 60).toISOString() },
      [OTHER]: { keyId: KEY_ID, scopes: ['orders:manage'], expiresAt: new Date(Date.now() - 1).toISOString() },
    });
    const verifier = createApiKeyVerifier({ auth, cacheTtlMs: 10_000 });
    await verifier.verify(SECRET);
    await expect(verifier.verify(OTHER)).rejects.toThrow(InvalidApiKeyError);
    await sleep(80);
    // The cached grant lapsed with the key: auth is asked again, and a grant already past its expiry is refused.
    await expect(verifier.verify(SECRET)).rejects.toThrow(InvalidApiKeyError);
    expect(auth.calls.filter((s) => s === SECRET)).toHaveLength(2);
  });

  it('when auth cannot be reached, then verification is unavailable (not a refusal) and nothing is cached', async () => {
    const auth = fakeAuth({ [SECRET]: new ServiceCallError('auth', 'unavailable', 'connect ECONNREFUSED') });
    const verifier = createApiKeyVerifier({ auth });
    await expect(verifier.verify(SECRET)).rejects.toThrow(ApiKeyCheckUnavailableError);
    await expect(verifier.verify(SECRET)).rejects.toThrow(ApiKeyCheckUnavailableError);
    expect(auth.calls).toHaveLength(2);
  });
});

describe('API key stage of a request', () => {
  const auth = fakeAuth({
    [SECRET]: { keyId: KEY_ID, scopes: ['orders:manage'], expiresAt: null },
    [OTHER]: new ServiceCallError('auth', 'timeout', 'timed out'),
  });
  const authenticate = createApiKeyAuthentication({ auth });
  const refusal = async (headers: Record<string, string>) => {
    const error = await authenticate(headers).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpError);
    const { status, code, message } = error as HttpError & { code: string };
    expect(message).not.toContain(SECRET.slice(5, 30));
    return { status, code };
  };

  it('when there is no key, then the token (if any) decides', async () => {
    expect(await authenticate({})).toBeUndefined();
    expect(await authenticate({ authorization: 'Bearer x' })).toBeUndefined();
  });

  it('when a key comes with a bearer token, then 400; a malformed key 401; auth unreachable 503', async () => {
    expect(await refusal({ 'x-api-key': SECRET, authorization: 'Bearer abc' })).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await refusal({ 'x-api-key': SECRET.slice(0, 20) })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await refusal({ 'x-api-key': OTHER })).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(await authenticate({ 'x-api-key': SECRET })).toMatchObject({ kind: 'key', keyId: KEY_ID });
  });
});
