/**
 * `npm run screenshots -w @brigade/web`: the menu, My orders and the board at phone and desktop widths, on
 * a fresh in-process stack with a few orders, into docs/screenshots/ (shown in the README).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildOnce, launchChromium, signIn, signUp, startWebStack } from './support.js';

const OUT = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const WIDTHS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 860 } } as const;
const COFFEE = 'b0ca1b98-2100-4ffc-8f7e-08941e623628';
const PASTA_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ... on OrderPlaced { order { id } } } }`;

mkdirSync(OUT, { recursive: true });
const built = await buildOnce();
const browser = await launchChromium();
const app = await startWebStack(built);
try {
  const menu = (await app.stack.query('{ menu { id name } }')).data!.menu as { id: string; name: string }[];
  const id = (name: string) => menu.find((item) => item.name === name)!.id;
  // A few customers' orders in different states, for the board.
  const staffToken = await app.stack.adminToken();
  for (const [name, lines, advance] of [
    [
      'Grace',
      [
        [id('Pizza'), 2],
        [id('Soda'), 2],
      ],
      2,
    ],
    [
      'Linus',
      [
        [id('Steak'), 1],
        [id('Wine'), 1],
      ],
      1,
    ],
    [
      'Barbara',
      [
        [id('Donut'), 3],
        [COFFEE, 1],
      ],
      0,
    ],
  ] as const) {
    const customer = await app.stack.signUp({ name });
    const placed = await app.stack.query(PASTA_ORDER, {
      token: customer.accessToken,
      variables: { input: { lines: lines.map(([menuItemId, quantity]) => ({ menuItemId, quantity })) } },
    });
    const orderId = placed.data!.placeOrder.order.id as string;
    for (const status of ['PREPARING', 'READY'].slice(0, advance)) {
      await app.stack.query('mutation($id: ID!, $s: OrderStatus!) { advanceOrder(id: $id, status: $s) { id } }', {
        token: staffToken,
        variables: { id: orderId, s: status },
      });
    }
  }

  const shoot = async (page: Page, name: string) => {
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: `${OUT}${name}.png`, fullPage: false });
    console.log(`wrote ${OUT}${name}.png`);
  };

  for (const [label, viewport] of Object.entries(WIDTHS)) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await signUp(page, app.appUrl, 'Ada');
    await page.getByRole('button', { name: 'Add Coffee' }).click();
    await page.getByRole('button', { name: 'Add Cookie' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText(/Order \w+ placed/).waitFor();
    await page.getByRole('button', { name: 'Add Pasta' }).click();
    await page.getByRole('button', { name: 'Add Gelato' }).click();
    await page.evaluate('window.scrollTo(0, 0)');
    await shoot(page, `menu-${label}`);
    await page.getByRole('link', { name: 'My orders' }).click();
    await page.locator('article.order').first().waitFor();
    await shoot(page, `my-orders-${label}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, app.appUrl, app.stack.admin.email, app.stack.admin.password);
    await page.getByRole('link', { name: 'Board' }).click();
    await page.locator('article.order').first().waitFor();
    await shoot(page, `board-${label}`);
    await context.close();
  }
} finally {
  await browser.close();
  await app.stop();
  built.remove();
}
