/**
 * The web app in a real Chromium (Debian's, driven by Playwright) against the real stack started in this
 * process: what a customer, a member of staff and an admin see and do, through the accessible names of
 * DESIGN.md ("The web app") only. The app is built once for the file.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltApp } from '../scripts/build.js';
import { buildOnce, launchChromium, PASSWORD, recordOperations, signIn, signUp, startWebStack, type WebStack } from './support.js';

const COFFEE = 'b0ca1b98-2100-4ffc-8f7e-08941e623628';

let built: BuiltApp & { remove(): void };
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [built, browser] = await Promise.all([buildOnce(), launchChromium()]);
}, 180_000);

// Each test's pages close with it: left open, their live streams and renderers kept working for the whole file.
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await browser?.close();
  built?.remove();
});

async function newPage(width = 1280, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
  contexts.push(context);
  return context.newPage();
}

/** The menu row of an item: its accessible name is the item's name. */
const itemRow = (page: Page, name: string) => page.getByRole('listitem', { name, exact: true });
const myOrderCards = (page: Page) => page.locator('article.order');

describe('the web app on the development stack', () => {
  let app: WebStack;
  beforeAll(async () => {
    // A revoked key stops the display within a second instead of the default 5 s bound (apiKeys.e2e pins that).
    app = await startWebStack(built, { serviceEnv: { gateway: { API_KEY_CACHE_TTL_MS: '1000' } } });
  }, 180_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('when a customer signs up, adds Coffee and Cookie and places the order, then My orders shows it PLACED, once', async () => {
    const page = await newPage();
    const sent = recordOperations(page);
    await signUp(page, app.appUrl, 'Ada');
    await expect.poll(() => itemRow(page, 'Coffee').textContent()).toContain('$3.00');
    await page.getByRole('button', { name: 'Add Coffee' }).click();
    await page.getByRole('button', { name: 'Add Cookie' }).click();
    // A double click places one order: the second click finds the first one under way.
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page.getByText(/Order \w+ placed/).waitFor();
    await page.getByRole('link', { name: 'My orders' }).click();
    const cards = myOrderCards(page);
    await expect.poll(() => cards.count()).toBe(1);
    await expect.poll(() => cards.first().textContent()).toMatch(/PLACED/);
    expect(await cards.first().textContent()).toMatch(/1 × Coffee.*1 × Cookie/s);
    expect(sent.filter((name) => name === 'PlaceOrder')).toHaveLength(1);
  });

  it('when a customer orders, then a staff Board shows it within 2 s, Advance reaches the customer as PREPARING and another menu sees Coffee fall, without reloads', async () => {
    const staffUser = await app.stack.userWithRole('STAFF');
    const staff = await newPage();
    await signIn(staff, app.appUrl, staffUser.email, staffUser.password);
    await staff.getByRole('link', { name: 'Board' }).click();
    await staff.getByRole('heading', { name: 'PLACED' }).waitFor();
    const watcher = await newPage(390, 844);
    await watcher.goto(app.appUrl);
    const coffeeLeft = async () => Number(/(\d+) left/.exec((await itemRow(watcher, 'Coffee').textContent()) ?? '')?.[1]);
    await expect.poll(coffeeLeft).toBeGreaterThan(0);
    const before = await coffeeLeft();
    // A page that reloads loses this mark: its presence at the end proves nothing was reloaded.
    for (const page of [staff, watcher]) await page.evaluate('window.stayedLoaded = true');

    const customer = await newPage();
    await signUp(customer, app.appUrl, 'Zed Live');
    await customer.getByRole('link', { name: 'My orders' }).click();
    await customer.getByText('No orders yet').waitFor();
    await customer.evaluate('window.stayedLoaded = true');
    await customer.getByRole('link', { name: 'Menu' }).click();
    await customer.getByRole('button', { name: 'Add Coffee' }).click();
    await customer.getByRole('button', { name: 'Add Cookie' }).click();
    await customer.getByRole('button', { name: 'Place order' }).click();
    await customer.getByText(/Order \w+ placed/).waitFor();
    const placedAt = Date.now();
    await customer.getByRole('link', { name: 'My orders' }).click();
    const mine = myOrderCards(customer).first();
    await expect.poll(() => mine.textContent()).toContain('PLACED');

    const card = staff.locator('article.order', { hasText: 'Zed Live' });
    await card.waitFor({ timeout: 2_000 });
    expect(Date.now() - placedAt).toBeLessThan(2_000);
    await card.getByRole('button', { name: 'Advance' }).click();
    await expect.poll(() => card.textContent()).toContain('PREPARING');
    await expect.poll(() => mine.textContent(), { timeout: 5_000 }).toContain('PREPARING');
    await expect.poll(coffeeLeft, { timeout: 5_000 }).toBe(before - 1);
    for (const page of [staff, watcher, customer]) expect(await page.evaluate('window.stayedLoaded')).toBe(true);
  });

  it('when Beer is out of stock, then its row says Sold out and it cannot be added; the menu works from the keyboard', async () => {
    const page = await newPage(390, 844);
    await signUp(page, app.appUrl, 'Kim');
    await expect.poll(() => itemRow(page, 'Beer').textContent()).toContain('Sold out');
    expect(await page.getByRole('button', { name: 'Add Beer' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Add Soda' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await expect.poll(() => page.getByRole('complementary').textContent()).toContain('1 × Soda');
  });

  it('when an order asks for more than is in stock, then the rejection is shown line by line and no stock changes', async () => {
    const admin = await app.stack.adminToken();
    const created = await app.stack.query(
      'mutation { createMenuItem(input: { name: "Saffron Tea", price: 450, category: DRINK }) { id } }',
      { token: admin },
    );
    const id = created.data!.createMenuItem.id as string;
    await app.stack.query(`mutation { restockDrink(id: "${id}", quantity: 2) { stock } }`, { token: admin });

    const page = await newPage();
    await signUp(page, app.appUrl, 'Lin');
    await expect.poll(() => itemRow(page, 'Saffron Tea').textContent()).toContain('2 left');
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Add Saffron Tea' }).click();
    await page.getByRole('button', { name: 'Add Coffee' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Saffron Tea: only 2 left');
    const stock = await app.stack.query(`{ menuItem(id: "${id}") { stock } coffee: menuItem(id: "${COFFEE}") { stock } }`);
    expect(stock.data!.menuItem.stock).toBe(2);
    await page.getByRole('link', { name: 'My orders' }).click();
    await page.getByText('No orders yet').waitFor();
  });

  it('when the customer signs out, then the session is gone, also after a reload', async () => {
    const page = await newPage();
    await signUp(page, app.appUrl, 'Sam');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('link', { name: 'My orders' }).count()).toBe(0);
    await page.reload();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate('localStorage.getItem("brigade.session")')).toBeNull();
  });

  it('when the API cannot be reached or answers 429, then the person reads what happened and how long to wait', async () => {
    const page = await newPage();
    await page.route('**/graphql', (route) => route.abort('connectionrefused'));
    await page.goto(app.appUrl);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain("Can't reach Brigade");
    await page.unroute('**/graphql');
    await page.route('**/graphql', (route) =>
      route.fulfill({
        status: 429,
        headers: {
          'content-type': 'application/json',
          'retry-after': '17',
          'access-control-allow-origin': '*',
          'access-control-expose-headers': 'retry-after',
        },
        body: JSON.stringify({ errors: [{ message: 'Too many requests.', extensions: { code: 'RATE_LIMITED' } }] }),
      }),
    );
    await page.reload();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('wait 17 seconds');
  });

  it('when an admin creates, restocks and edits an item and grants STAFF, then the menu and the new staff member see it', async () => {
    const customer = await newPage();
    const email = await signUp(customer, app.appUrl, 'Noor');
    await customer.getByRole('link', { name: 'My orders' }).click();
    const userId = await customer.locator('code').textContent();

    const page = await newPage();
    await signIn(page, app.appUrl, app.stack.admin.email, app.stack.admin.password);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Item name').fill('Lemon Tart');
    await page.getByLabel('Description', { exact: true }).fill('Sharp and sweet.');
    await page.getByLabel('Price (USD)', { exact: true }).fill('4.25');
    await page.getByLabel('Category').selectOption('DESSERT');
    await page.getByRole('button', { name: 'Create item' }).click();
    await page.getByText('Lemon Tart is on the menu at $4.25').waitFor();

    await page.getByLabel('Item to restock').selectOption({ label: 'Lemon Tart (0 in stock)' });
    await page.getByLabel('Quantity to add').fill('7');
    await page.getByRole('button', { name: 'Restock' }).click();
    await page.getByText('Added 7 Lemon Tart.').waitFor();

    await page.getByLabel('Item to edit').selectOption({ label: 'Lemon Tart (7 in stock)' });
    await page.getByLabel('New price (USD)').fill('4.50');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved Lemon Tart.').waitFor();

    await page.getByLabel('User id').fill(userId!);
    await page.getByLabel('Role', { exact: true }).selectOption('STAFF');
    await page.getByRole('button', { name: 'Grant role' }).click();
    await page.getByText(`Noor (${email}) now has`).waitFor();

    await page.getByRole('link', { name: 'Menu' }).click();
    await expect.poll(() => itemRow(page, 'Lemon Tart').textContent()).toMatch(/\$4\.50.*7 left/s);

    // Roles travel in the token: the new staff member signs in again and gets the Board.
    await customer.getByRole('button', { name: 'Sign out' }).click();
    await signIn(customer, app.appUrl, email, PASSWORD);
    await customer.getByRole('link', { name: 'Board' }).click();
    await customer.getByRole('heading', { name: 'Board' }).waitFor();
  });

  it('when an admin creates an API key, then it shows once, a station display runs the board with it, and revoking it stops the display', async () => {
    const admin = await newPage();
    await signIn(admin, app.appUrl, app.stack.admin.email, app.stack.admin.password);
    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.getByLabel('Key name').fill('Bar display');
    await admin.getByRole('button', { name: 'Create key' }).click();
    const secret = (await admin.getByLabel("New key's secret").textContent())!.trim();
    expect(secret.length).toBeGreaterThan(20);
    await admin.getByRole('button', { name: 'Copy key' }).waitFor();
    await expect.poll(() => admin.getByRole('listitem', { name: 'Key Bar display' }).textContent()).toContain('orders:manage');
    await admin.reload();
    await admin.getByRole('listitem', { name: 'Key Bar display' }).waitFor();
    expect(await admin.getByText(secret).count()).toBe(0);

    const customer = await app.stack.signUp({ name: 'Dana' });
    await app.stack.query(`mutation { placeOrder(input: { lines: [{ menuItemId: "${COFFEE}", quantity: 1 }] }) { __typename } }`, {
      token: customer.accessToken,
    });
    const display = await newPage();
    await display.goto(new URL('/device', app.appUrl).toString());
    await display.getByLabel('API key').fill(secret);
    await display.getByRole('button', { name: 'Use this key' }).click();
    await display.getByRole('link', { name: 'Board' }).click();
    const card = display.locator('article.order', { hasText: 'Dana' });
    await card.getByRole('button', { name: 'Advance' }).click();
    await expect.poll(() => card.textContent()).toContain('PREPARING');

    await admin.getByRole('button', { name: 'Revoke Bar display' }).click();
    await expect.poll(() => admin.getByRole('listitem', { name: 'Key Bar display' }).textContent()).toContain('revoked');
    // Gateways may trust a verified key a few seconds more (the revocation bound): the display then stops.
    await expect
      .poll(
        async () => {
          await display.reload();
          return display
            .getByRole('alert')
            .first()
            .textContent({ timeout: 2_000 })
            .catch(() => '');
        },
        { timeout: 20_000 },
      )
      .toMatch(/sign in|refused|permission/i);
  });

  it('when a customer opens the Board, then the app explains it is for staff', async () => {
    const page = await newPage();
    await signUp(page, app.appUrl, 'Ola');
    expect(await page.getByRole('link', { name: 'Board' }).count()).toBe(0);
    await page.goto(new URL('/board', app.appUrl).toString());
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('for staff or admin accounts');
  });

  it('when staff advance an order on the Board, then it moves through the statuses to SERVED', async () => {
    const customer = await app.stack.signUp({ name: 'Quinn' });
    const placed = await app.stack.query(
      `mutation { placeOrder(input: { lines: [{ menuItemId: "${COFFEE}", quantity: 1 }] }) { ... on OrderPlaced { order { id } } } }`,
      { token: customer.accessToken },
    );
    expect(placed.data?.placeOrder.order.id).toBeTruthy();
    const staff = await app.stack.userWithRole('STAFF');
    const page = await newPage();
    await signIn(page, app.appUrl, staff.email, staff.password);
    await page.getByRole('link', { name: 'Board' }).click();
    const card = page.locator('article.order', { hasText: 'Quinn' });
    await expect.poll(() => card.textContent()).toContain('PLACED');
    for (const status of ['PREPARING', 'READY']) {
      await card.getByRole('button', { name: 'Advance' }).click();
      await expect.poll(() => card.textContent()).toContain(status);
    }
    await card.getByRole('button', { name: 'Advance' }).click();
    await expect.poll(() => card.count()).toBe(0);
    await page.getByLabel('Station').selectOption('BAKERY');
    expect(new URL(page.url()).searchParams.get('station')).toBe('BAKERY');
  });
});

describe('the web app on the production stack, with its persisted operations as the safelist', () => {
  let app: WebStack;
  let manifest: { operations: { name: string; body: string }[] };
  /** Sends one of the app's own (safelisted) operations, as the app would. */
  const appOperation = async (name: string, variables: Record<string, unknown>, token?: string) => {
    const operation = manifest.operations.find((o) => o.name === name)!;
    return app.stack.query(operation.body, { variables, operationName: name, ...(token ? { token } : {}) });
  };

  beforeAll(async () => {
    manifest = JSON.parse(readFileSync(built.manifestPath, 'utf8'));
    app = await startWebStack(built, {
      env: { PRODUCTION: 'true', RATE_LIMIT_IP: '100000', RATE_LIMIT_USER: '100000', RATE_LIMIT_AUTH_FIELDS: '100000' },
      serviceEnv: {
        gateway: { PERSISTED_OPERATIONS: built.manifestPath },
        // Access tokens live 4 s: every screen below runs across several silent renewals.
        auth: { ACCESS_TOKEN_TTL_S: '4' },
      },
    });
  }, 180_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('when a hand-written query is sent, then the gateway refuses it; the same text from the manifest runs', async () => {
    const handWritten = await app.stack.query('{ menu { id name } }');
    expect(handWritten.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const own = await appOperation('Menu', {});
    expect(own.errors).toBeUndefined();
    expect((own.data!.menu as unknown[]).length).toBeGreaterThanOrEqual(12);

    // From the app's own page too: the browser may call the gateway, but only with the app's operations.
    const page = await newPage();
    await page.goto(app.appUrl);
    await itemRow(page, 'Coffee').waitFor();
    const refused = await page.evaluate(async (url) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ me { id } }"}',
      });
      return { status: response.status, body: await response.text() };
    }, app.stack.url);
    expect(refused.body).toContain('PERSISTED_QUERY_NOT_IN_LIST');
  });

  it('when a customer, staff and an admin use every screen, then each works and no operation is refused', async () => {
    const refusals: string[] = [];
    const watch = (page: Page) =>
      page.on('response', async (response) => {
        if (!response.url().endsWith('/graphql') || response.request().method() !== 'POST') return;
        const text = await response.text().catch(() => '');
        if (text.includes('PERSISTED_QUERY_NOT_IN_LIST')) refusals.push(response.request().postData() ?? '');
      });

    const customer = await newPage(390, 844);
    watch(customer);
    await signUp(customer, app.appUrl, 'Pat');
    await customer.getByRole('button', { name: 'Add Coffee' }).click();
    await customer.getByRole('button', { name: 'Place order' }).click();
    await customer.getByText(/Order \w+ placed/).waitFor();
    await customer.getByRole('link', { name: 'My orders' }).click();
    await expect.poll(() => myOrderCards(customer).first().textContent()).toContain('PLACED');

    const admin = await newPage();
    watch(admin);
    await signIn(admin, app.appUrl, app.stack.admin.email, app.stack.admin.password);
    await admin.getByRole('link', { name: 'Board' }).click();
    const card = admin.locator('article.order', { hasText: 'Pat' });
    await card.getByRole('button', { name: 'Advance' }).click();
    await expect.poll(() => card.textContent()).toContain('PREPARING');
    await admin.getByRole('link', { name: 'Admin' }).click();
    await admin.getByLabel('Item to restock').selectOption({ label: 'Beer (0 in stock)' });
    await admin.getByLabel('Quantity to add').fill('3');
    await admin.getByRole('button', { name: 'Restock' }).click();
    await admin.getByText('Added 3 Beer.').waitFor();
    await admin.getByLabel('Item name').fill('Chai');
    await admin.getByLabel('Price (USD)', { exact: true }).fill('3.25');
    await admin.getByRole('button', { name: 'Create item' }).click();
    await admin.getByText('Chai is on the menu').waitFor();

    // Live under the safelist too, across the 4 s tokens' renewals: no reload.
    await expect.poll(() => myOrderCards(customer).first().textContent(), { timeout: 10_000 }).toContain('PREPARING');
    await customer.getByRole('button', { name: 'Sign out' }).click();
    await customer.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(refusals).toEqual([]);
  });

  it('when the access token expires mid-session, then it is renewed silently and the customer goes on ordering', async () => {
    const page = await newPage();
    const sent = recordOperations(page);
    await signUp(page, app.appUrl, 'Rui');
    // Three silent renewals (one every 3 s for a 4 s token): each token the page held has expired meanwhile.
    await expect
      .poll(() => sent.filter((name) => name === 'RefreshToken').length, { timeout: 15_000, interval: 250 })
      .toBeGreaterThanOrEqual(3);
    await page.getByRole('button', { name: 'Add Cookie' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText(/Order \w+ placed/).waitFor();
    await page.getByRole('link', { name: 'My orders' }).click();
    await expect.poll(() => myOrderCards(page).count()).toBe(1);
    expect(await page.getByText('Your session ended').count()).toBe(0);
  });

  it('when a refresh token is used twice, then the API revokes the family and the app signs the user out', async () => {
    const page = await newPage();
    await signUp(page, app.appUrl, 'Eve');
    const stored = JSON.parse((await page.evaluate('localStorage.getItem("brigade.session")')) as string) as { refreshToken: string };
    // Someone else spends the app's refresh token first (a stolen copy): the app's own renewal is then a reuse.
    const stolen = await appOperation('RefreshToken', { refreshToken: stored.refreshToken });
    expect(stolen.errors).toBeUndefined();
    await page.getByRole('link', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
    await page.getByText('Your session ended').waitFor();
    const reused = await appOperation('RefreshToken', { refreshToken: stolen.data!.refreshToken.refreshToken });
    expect(reused.errors?.[0]?.extensions?.code).toBeDefined();
  });
});
