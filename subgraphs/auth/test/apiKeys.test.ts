import { ANONYMOUS, keyViewer, userViewer } from '@brigade/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, viewerOf } from '@brigade/testing';
import { startAuth, type AuthHarness, type GraphQLResult } from './harness.js';

const LOG_IN = 'mutation($input: LogInInput!) { logIn(input: $input) { accessToken user { id } } }';
const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }';
const KEY = 'id name scopes createdAt expiresAt lastUsedAt revokedAt';
const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { ${KEY} } } }`;
const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { ${KEY} } }`;
const LIST = `{ apiKeys { ${KEY} } }`;
const GRANT = 'query($s: String!) { apiKeyGrant(secret: $s) { keyId scopes expiresAt } }';
const ADMIN = { email: 'admin@brigade.local', password: 'brigade-admin' };
const SECRET = /^brg_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/;

const codeOf = (result: GraphQLResult) => result.body.errors?.[0]?.extensions?.code;

describe.each(ENGINES)('API keys in the auth subgraph on %s', (engine) => {
  let auth: AuthHarness;
  let admin: ReturnType<typeof viewerOf>;
  let adminId: string;
  beforeAll(async () => {
    auth = await startAuth(engine);
    const session = (await auth.query(LOG_IN, { input: ADMIN })).body.data!.logIn;
    admin = viewerOf(session.accessToken);
    adminId = session.user.id;
  });
  afterAll(() => auth?.stop());

  const create = (input: Record<string, unknown>, viewer = admin) => auth.query(CREATE, { input }, viewer);
  const grantOf = async (secret: string) => {
    const result = await auth.query(GRANT, { s: secret });
    expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
    return result.body.data!.apiKeyGrant;
  };

  it('when an admin creates a key, then the secret is shown once, is recognisable, and grants exactly its scopes', async () => {
    const created = await create({ name: '  Kitchen display ', scopes: ['orders:manage', 'orders:manage'], expiresInDays: 30 });
    expect(created.body.errors).toBeUndefined();
    const { secret, apiKey } = created.body.data!.createApiKey;
    expect(secret).toMatch(SECRET);
    expect(secret.slice(4, 36)).toBe(apiKey.id.replaceAll('-', ''));
    expect(apiKey).toMatchObject({ name: 'Kitchen display', scopes: ['orders:manage'], lastUsedAt: null, revokedAt: null });
    const days = (Date.parse(apiKey.expiresAt) - Date.parse(apiKey.createdAt)) / 86_400_000;
    expect(days).toBeCloseTo(30, 3);

    const listed = (await auth.query(LIST, {}, admin)).body.data!.apiKeys;
    expect(listed.find((k: { id: string }) => k.id === apiKey.id)).toMatchObject({ name: 'Kitchen display' });
    expect(JSON.stringify(listed)).not.toContain(secret.slice(37));

    expect(await grantOf(secret)).toEqual({ keyId: apiKey.id, scopes: ['orders:manage'], expiresAt: apiKey.expiresAt });
    const used = (await auth.query(LIST, {}, admin)).body.data!.apiKeys.find((k: { id: string }) => k.id === apiKey.id);
    expect(used.lastUsedAt).not.toBeNull();
    // A second use within the minute does not write again.
    await grantOf(secret);
    const again = (await auth.query(LIST, {}, admin)).body.data!.apiKeys.find((k: { id: string }) => k.id === apiKey.id);
    expect(again.lastUsedAt).toBe(used.lastUsedAt);
  });

  it('when a secret is unknown, truncated or altered, then it grants nothing', async () => {
    const { secret } = (await create({ name: 'Bar printer', scopes: ['stock:write'] })).body.data!.createApiKey;
    expect(await grantOf(secret)).toMatchObject({ scopes: ['stock:write'], expiresAt: null });
    const last = secret.at(-1) === 'A' ? 'B' : 'A';
    for (const bad of [
      secret.slice(0, -1),
      `${secret.slice(0, -1)}${last}`,
      `brg_${'0'.repeat(32)}_${'A'.repeat(43)}`,
      '',
      'x'.repeat(5000),
    ]) {
      expect(await grantOf(bad)).toBeNull();
    }
  });

  it('when a key is revoked, then it grants nothing, and revoking again keeps the first revocation', async () => {
    const { secret, apiKey } = (await create({ name: 'POS', scopes: ['orders:manage'] })).body.data!.createApiKey;
    const revoked = await auth.query(REVOKE, { id: apiKey.id }, admin);
    expect(revoked.body.data!.revokeApiKey.revokedAt).not.toBeNull();
    expect(await grantOf(secret)).toBeNull();
    const again = await auth.query(REVOKE, { id: apiKey.id }, admin);
    expect(again.body.data!.revokeApiKey.revokedAt).toBe(revoked.body.data!.revokeApiKey.revokedAt);
    expect(codeOf(await auth.query(REVOKE, { id: '00000000-0000-4000-8000-000000000000' }, admin))).toBe('NOT_FOUND');
    expect(codeOf(await auth.query(REVOKE, { id: 'not-a-uuid' }, admin))).toBe('NOT_FOUND');
  });

  it('when the input is bad, then BAD_USER_INPUT names the field and nothing is created', async () => {
    const before = (await auth.query(LIST, {}, admin)).body.data!.apiKeys.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', scopes: ['orders:manage', 'pizza:eat'] }, 'scopes'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: '   ', scopes: ['orders:manage'] }, 'name'],
      [{ name: 'a\u0000b', scopes: ['orders:manage'] }, 'name'],
      [{ name: '\uD800', scopes: ['orders:manage'] }, 'name'],
      [{ name: 'x', scopes: ['orders:manage'], expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'x', scopes: ['orders:manage'], expiresInDays: 3651 }, 'expiresInDays'],
    ];
    for (const [input, field] of cases) {
      const result = await create(input);
      // The platform's text-input check (when it runs first) names the path from the argument: input.name.
      expect(result.body.errors?.[0]?.extensions, JSON.stringify(input)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: expect.stringMatching(new RegExp(`^(input\\.)?${field}$`)),
      });
    }
    expect((await auth.query(LIST, {}, admin)).body.data!.apiKeys).toHaveLength(before);
  });

  it('when a creator asks for a scope they do not hold, then FORBIDDEN', async () => {
    // A manager of users who does not manage stock (a narrower role than today's ADMIN).
    const narrow = userViewer(adminId, 'users:manage orders:manage', ['ADMIN']);
    const refused = await create({ name: 'x', scopes: ['orders:manage', 'stock:write'] }, narrow);
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect(refused.body.errors![0]!.message).toContain('stock:write');
    expect(codeOf(await create({ name: 'x', scopes: ['orders:manage'] }, narrow))).toBeUndefined();
  });

  it('when the creator no longer holds a scope, then their keys no longer grant it', async () => {
    const customer = (await auth.query(SIGN_UP, { input: { email: `c${Date.now()}@example.com`, password: 'correct horse', name: 'C' } }))
      .body.data!.signUp;
    // Scopes from a token minted while the user was an admin; their roles today are CUSTOMER only.
    const formerAdmin = userViewer(customer.user.id, 'users:manage orders:manage', ['ADMIN']);
    const { secret } = (await create({ name: 'old', scopes: ['orders:manage'] }, formerAdmin)).body.data!.createApiKey;
    expect((await grantOf(secret)).scopes).toEqual([]);
  });

  it('when a key or a customer manages keys, or anyone but the gateway asks for a grant, then FORBIDDEN', async () => {
    const { secret } = (await create({ name: 'x', scopes: ['orders:manage'] })).body.data!.createApiKey;
    const key = keyViewer('00000000-0000-4000-8000-000000000001', 'users:manage orders:manage');
    expect(codeOf(await create({ name: 'y', scopes: ['orders:manage'] }, key))).toBe('FORBIDDEN');
    expect(codeOf(await auth.query(LIST, {}, key))).toBe('FORBIDDEN');
    const customer = userViewer(adminId, '', ['CUSTOMER']);
    expect(codeOf(await auth.query(LIST, {}, customer))).toBe('FORBIDDEN');
    expect(codeOf(await auth.query(GRANT, { s: secret }, admin))).toBe('FORBIDDEN');
    const fromOrders = await fetch(`${auth.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await auth.mint('orders', 'auth', ANONYMOUS)}` },
      body: JSON.stringify({ query: GRANT, variables: { s: secret } }),
    });
    // Refused either at the door (auth trusts no orders credential) or at the field.
    expect(((await fromOrders.json()) as GraphQLResult['body']).errors?.[0]?.extensions?.code).toMatch(/^(FORBIDDEN|UNAUTHENTICATED)$/);
  });

  it('when a key asks for me, then FORBIDDEN (a key acts for no user)', async () => {
    const key = keyViewer('00000000-0000-4000-8000-000000000002', 'users:manage');
    expect(codeOf(await auth.query('{ me { id } }', {}, key))).toBe('FORBIDDEN');
  });
});
