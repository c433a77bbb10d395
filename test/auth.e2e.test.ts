import { SEED_MENU } from '@brigade/testing';
import { startStack, type GraphQLResult, type Stack } from '@brigade/testing';
import { decodeJwt } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PAYLOAD = 'accessToken refreshToken tokenType expiresIn user { id email name roles }';
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { ${PAYLOAD} } }`;
const LOG_IN = `mutation($input: LogInInput!) { logIn(input: $input) { ${PAYLOAD} } }`;
const REFRESH = `mutation($t: String!) { refreshToken(refreshToken: $t) { ${PAYLOAD} } }`;
const LOG_OUT = 'mutation($t: String!) { logOut(refreshToken: $t) }';
const ME = '{ me { id email name roles } }';
const STOCK = 'query($id: ID!) { menuItem(id: $id) { id stock available } }';
const RESTOCK = 'mutation($id: ID!, $q: Int!) { restockDrink(id: $id, quantity: $q) { id stock } }';
const CREATE_ITEM = `mutation($input: CreateMenuItemInput!) {
  createMenuItem(input: $input) { id name category station ... on Drink { stock available } }
}`;
const GRANT = 'mutation($id: ID!, $role: Role!) { grantRole(userId: $id, role: $role) { id roles } }';

const item = (name: string) => SEED_MENU.find((i) => i.name === name)!;
const email = () => `e2e-${randomUUID()}@example.com`;
const codes = (result: GraphQLResult) => result.errors?.map((e) => e.extensions?.code);

/** The one error of a result. */
function onlyError(result: GraphQLResult) {
  expect(result.errors).toHaveLength(1);
  return result.errors![0]!;
}

async function stockOf(stack: Stack, id: string): Promise<number> {
  const result = await stack.query(STOCK, { variables: { id } });
  expect(result.errors).toBeUndefined();
  return result.data!.menuItem.stock;
}

describe('accounts and sessions through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  const signUp = (input: { email: string; password?: string; name?: string }) =>
    stack.query(SIGN_UP, { variables: { input: { password: 'correct horse battery', name: 'Ann Lee', ...input } } });

  it('when a user signs up, logs in and asks for me, then me is that user and the tokens follow the contract', async () => {
    const address = email();
    const created = await signUp({ email: address });
    expect(created.status).toBe(200);
    expect(created.errors).toBeUndefined();
    const payload = created.data!.signUp;
    expect(payload).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { email: address, name: 'Ann Lee', roles: ['CUSTOMER'] } });

    const loggedIn = (
      await stack.query(LOG_IN, { variables: { input: { email: address.toUpperCase(), password: 'correct horse battery' } } })
    ).data!.logIn;
    expect(loggedIn.user.id).toBe(payload.user.id);
    expect(decodeJwt(loggedIn.accessToken)).toMatchObject({ iss: 'brigade-auth', aud: 'brigade', sub: payload.user.id, scope: '' });

    const me = await stack.query(ME, { token: loggedIn.accessToken });
    expect(me).toMatchObject({ status: 200, data: { me: { id: payload.user.id, email: address, name: 'Ann Lee', roles: ['CUSTOMER'] } } });
    expect(me.errors).toBeUndefined();
  });

  it('when an email is signed up again in another case, then BAD_USER_INPUT on email', async () => {
    const address = email();
    expect((await signUp({ email: address })).errors).toBeUndefined();
    const again = await signUp({ email: address.toUpperCase() });
    expect(again.data).toBeNull();
    expect(onlyError(again).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  it.each([
    ['password', { password: 'short' }],
    ['password', { password: 'p'.repeat(201) }],
    ['email', { email: 'not-an-email' }],
    ['name', { name: '  ' }],
  ])('when sign-up breaks the %s rules, then BAD_USER_INPUT names the field and no account exists', async (field, override) => {
    const address = email();
    const refused = await signUp({ email: address, ...override });
    expect(onlyError(refused).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    if (field !== 'email') expect((await signUp({ email: address })).errors).toBeUndefined();
  });

  it('when the password is wrong or the email unknown, then both get the same UNAUTHENTICATED error', async () => {
    const address = email();
    await signUp({ email: address });
    const wrongPassword = await stack.query(LOG_IN, { variables: { input: { email: address, password: 'wrong password!' } } });
    const unknownEmail = await stack.query(LOG_IN, { variables: { input: { email: email(), password: 'correct horse battery' } } });
    expect(onlyError(wrongPassword).extensions?.code).toBe('UNAUTHENTICATED');
    expect(onlyError(wrongPassword)).toEqual(onlyError(unknownEmail));
    expect(wrongPassword.data).toBeNull();
  });

  it('when a refresh token is used, then a new pair is issued and the old refresh token is spent', async () => {
    const first = await stack.signUp();
    const refreshed = await stack.query(REFRESH, { variables: { t: first.refreshToken } });
    expect(refreshed.errors).toBeUndefined();
    const second = refreshed.data!.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect((await stack.query(ME, { token: second.accessToken })).data?.me?.id).toBe(first.id);

    // Spending the old token again is refused (it also revokes the family: see the next test).
    expect(codes(await stack.query(REFRESH, { variables: { t: first.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('when a spent refresh token is reused, then the whole family is revoked and the newest refresh token stops working', async () => {
    const first = await stack.signUp();
    const second = (await stack.query(REFRESH, { variables: { t: first.refreshToken } })).data!.refreshToken;
    const third = (await stack.query(REFRESH, { variables: { t: second.refreshToken } })).data!.refreshToken;

    expect(codes(await stack.query(REFRESH, { variables: { t: first.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await stack.query(REFRESH, { variables: { t: third.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    // Another session of the same user is a different family and keeps working.
    const other = await stack.logIn(first.email, first.password);
    expect((await stack.query(REFRESH, { variables: { t: other.refreshToken } })).errors).toBeUndefined();
  });

  it('when a user logs out, then the refresh token is revoked', async () => {
    const user = await stack.signUp();
    expect((await stack.query(LOG_OUT, { variables: { t: user.refreshToken } })).data).toEqual({ logOut: true });
    expect(codes(await stack.query(REFRESH, { variables: { t: user.refreshToken } }))).toEqual(['UNAUTHENTICATED']);
    expect((await stack.query(LOG_OUT, { variables: { t: user.refreshToken } })).data).toEqual({ logOut: false });
  });

  it('when me is asked anonymously with the public menu, then me is null with one UNAUTHENTICATED error and the menu is there', async () => {
    const result = await stack.query('{ me { id } menu { name } }');
    expect(result.status).toBe(200);
    expect(result.data?.me).toBeNull();
    expect(result.data?.menu.map((i: { name: string }) => i.name).sort()).toEqual(SEED_MENU.map((i) => i.name).sort());
    const error = onlyError(result);
    expect(error.path).toEqual(['me']);
    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('when user B asks for user A by id, then FORBIDDEN and me returns only B', async () => {
    const a = await stack.signUp();
    const b = await stack.signUp();
    const result = await stack.query('query($id: ID!) { user(id: $id) { id email } me { id email } }', {
      variables: { id: a.id },
      token: b.accessToken,
    });
    expect(result.status).toBe(200);
    expect(result.data).toEqual({ user: null, me: { id: b.id, email: b.email } });
    const error = onlyError(result);
    expect(error.path).toEqual(['user']);
    expect(error.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(result)).not.toContain(a.email);
  });

  it('when an admin asks for a user by id, then the email is returned (users:manage is what B lacked)', async () => {
    const a = await stack.signUp();
    const result = await stack.query('query($id: ID!) { user(id: $id) { id email } }', {
      variables: { id: a.id },
      token: await stack.adminToken(),
    });
    expect(result.data).toEqual({ user: { id: a.id, email: a.email } });
  });
});

describe('roles and scopes through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('when a customer calls restockDrink, createMenuItem or grantRole, then FORBIDDEN and nothing changes', async () => {
    const customer = await stack.signUp();
    const coffee = item('Coffee');
    const menuBefore = (await stack.query('{ menu { id } }')).data!.menu.length;

    const restock = await stack.query(RESTOCK, { variables: { id: coffee.id, q: 50 }, token: customer.accessToken });
    expect(onlyError(restock)).toMatchObject({ path: ['restockDrink'], extensions: { code: 'FORBIDDEN' } });
    const create = await stack.query(CREATE_ITEM, {
      variables: { input: { name: 'Sneaky Drink', price: 100, category: 'DRINK' } },
      token: customer.accessToken,
    });
    expect(onlyError(create)).toMatchObject({ path: ['createMenuItem'], extensions: { code: 'FORBIDDEN' } });
    const grant = await stack.query(GRANT, { variables: { id: customer.id, role: 'ADMIN' }, token: customer.accessToken });
    expect(onlyError(grant)).toMatchObject({ path: ['grantRole'], extensions: { code: 'FORBIDDEN' } });

    expect(await stockOf(stack, coffee.id)).toBe(coffee.stock);
    const menuAfter = (await stack.query('{ menu { id name } }')).data!.menu;
    expect(menuAfter).toHaveLength(menuBefore);
    expect(menuAfter.map((i: { name: string }) => i.name)).not.toContain('Sneaky Drink');
    const again = await stack.logIn(customer.email, customer.password);
    expect(decodeJwt(again.accessToken)).toMatchObject({ scope: '', roles: ['CUSTOMER'] });
    expect((await stack.query(ME, { token: again.accessToken })).data?.me.roles).toEqual(['CUSTOMER']);
  });

  it('when a staff user restocks a drink, then its stock goes up by the quantity', async () => {
    const staff = await stack.userWithRole('STAFF');
    const beer = item('Beer');
    expect(await stockOf(stack, beer.id)).toBe(0);
    const result = await stack.query(RESTOCK, { variables: { id: beer.id, q: 7 }, token: staff.accessToken });
    expect(result.errors).toBeUndefined();
    expect(result.data?.restockDrink).toEqual({ id: beer.id, stock: 7 });
    const after = await stack.query(STOCK, { variables: { id: beer.id } });
    expect(after.data?.menuItem).toEqual({ id: beer.id, stock: 7, available: true });
  });

  it('when a staff user creates a menu item, then FORBIDDEN (menu:write is the admin’s)', async () => {
    const staff = await stack.userWithRole('STAFF');
    const create = await stack.query(CREATE_ITEM, {
      variables: { input: { name: 'Staff Special', price: 100, category: 'DRINK' } },
      token: staff.accessToken,
    });
    expect(codes(create)).toEqual(['FORBIDDEN']);
  });

  it('when an admin creates a menu item, then it is on the menu with stock 0 and not available', async () => {
    const created = await stack.query(CREATE_ITEM, {
      variables: { input: { name: 'Lemonade', description: 'Fresh.', price: 350, category: 'DRINK' } },
      token: await stack.adminToken(),
    });
    expect(created.errors).toBeUndefined();
    const newItem = created.data!.createMenuItem;
    expect(newItem).toMatchObject({ name: 'Lemonade', category: 'DRINK', station: 'BAR', stock: 0, available: false });
    expect((await stack.query(STOCK, { variables: { id: newItem.id } })).data?.menuItem).toEqual({
      id: newItem.id,
      stock: 0,
      available: false,
    });
    expect((await stack.query('{ menu(category: DRINK) { name } }')).data?.menu.map((i: { name: string }) => i.name)).toContain('Lemonade');
  });

  it('when an admin grants STAFF, then that user’s next token carries orders:manage and stock:write and restocking works', async () => {
    const user = await stack.signUp();
    const granted = await stack.query(GRANT, { variables: { id: user.id, role: 'STAFF' }, token: await stack.adminToken() });
    expect(granted.errors).toBeUndefined();
    expect(granted.data?.grantRole.roles).toContain('STAFF');

    const next = await stack.logIn(user.email, user.password);
    const scopes = String(decodeJwt(next.accessToken).scope).split(' ').sort();
    expect(scopes).toEqual(['orders:manage', 'stock:write']);
    const soda = item('Soda');
    const before = await stockOf(stack, soda.id);
    const restock = await stack.query(RESTOCK, { variables: { id: soda.id, q: 3 }, token: next.accessToken });
    expect(restock.data?.restockDrink.stock).toBe(before + 3);
  });
});

describe('spoofed identity headers at the gateway', () => {
  let stack: Stack;
  let adminId: string;
  beforeAll(async () => {
    stack = await startStack();
    adminId = (await stack.logIn(stack.admin.email, stack.admin.password)).id;
  });
  afterAll(() => stack?.stop());

  const spoofed = () => ({
    'x-user-id': adminId,
    'x-user-roles': 'ADMIN',
    'x-user-scopes': 'users:manage stock:write menu:write orders:manage',
    'x-user-scope': 'users:manage stock:write',
    'x-forwarded-user': adminId,
    'x-remote-user': adminId,
    'x-user': JSON.stringify({ id: adminId, roles: ['ADMIN'] }),
    'x-viewer': JSON.stringify({ kind: 'user', userId: adminId, scopes: ['users:manage'] }),
    'x-caller': 'orders',
  });
  const PROBE = 'query($id: ID!) { me { id } user(id: $id) { id email } }';

  it('when identity headers come without a token, then the caller is still anonymous', async () => {
    const coffee = item('Coffee');
    const probe = await stack.query(PROBE, { variables: { id: adminId }, headers: spoofed() });
    expect(probe.status).toBe(200);
    expect(probe.data).toEqual({ me: null, user: null });
    expect(codes(probe)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);

    const restock = await stack.query(RESTOCK, { variables: { id: coffee.id, q: 5 }, headers: spoofed() });
    expect(codes(restock)).toHaveLength(1);
    expect(['UNAUTHENTICATED', 'FORBIDDEN']).toContain(codes(restock)![0]);
    expect(await stockOf(stack, coffee.id)).toBe(coffee.stock);
  });

  it('when identity headers come with a customer token, then the caller is still that customer', async () => {
    const customer = await stack.signUp();
    const probe = await stack.query(PROBE, { variables: { id: adminId }, token: customer.accessToken, headers: spoofed() });
    expect(probe.data).toEqual({ me: { id: customer.id }, user: null });
    expect(codes(probe)).toEqual(['FORBIDDEN']);
    const coffee = item('Coffee');
    const restock = await stack.query(RESTOCK, { variables: { id: coffee.id, q: 5 }, token: customer.accessToken, headers: spoofed() });
    expect(codes(restock)).toEqual(['FORBIDDEN']);
    expect(await stockOf(stack, coffee.id)).toBe(coffee.stock);
  });
});
