import { startStack, type Stack, type StackOptions } from '@brigade/testing';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWebApp, type BuiltApp } from '../scripts/build.js';
import { createWebServer } from '../server/static.js';

/**
 * Debian's Chromium, never a downloaded browser: its headless shell (package chromium-headless-shell) where it
 * is installed, the full browser (package chromium) otherwise. The shell is the same Chromium build without the
 * browser around it, and what Playwright itself runs for headless tests; on browser.test.ts, side by side,
 * Chromium's CPU went from 77–96 s to 39–42 s and the file from 87 s to 63 s (two runs each).
 */
export const CHROMIUM = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((path) => existsSync(path));
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Chromium is missing: apt-get install -y chromium-headless-shell (.ci/run does)');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Builds the app once into a temporary folder (never the working tree's dist, which `npm start` may be serving). */
export async function buildOnce(): Promise<BuiltApp & { remove(): void }> {
  const outDir = mkdtempSync(join(tmpdir(), 'brigade-web-'));
  const built = await buildWebApp({ outDir, quiet: true });
  return { ...built, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

export interface WebStack {
  readonly stack: Stack;
  /** The app's URL (`http://127.0.0.1:port/`). */
  readonly appUrl: string;
  stop(): Promise<void>;
}

/**
 * The real stack in this process (startStack: six subgraphs and the gateway on port 0) plus the built app
 * on its own port, with the gateway's CORS allowing exactly the app's origin, as `npm start` does.
 */
export async function startWebStack(built: BuiltApp, options: StackOptions = {}): Promise<WebStack> {
  let graphqlUrl = '';
  const web = createWebServer({ root: built.dist, graphqlUrl: () => graphqlUrl });
  const appUrl = await web.listen(0, '127.0.0.1');
  const origin = new URL(appUrl).origin;
  try {
    const stack = await startStack({
      ...options,
      serviceEnv: { ...options.serviceEnv, gateway: { CORS_ORIGINS: origin, ...options.serviceEnv?.gateway } },
    });
    graphqlUrl = stack.url;
    return {
      stack,
      appUrl,
      async stop() {
        await web.close();
        await stack.stop();
      },
    };
  } catch (error) {
    await web.close();
    throw error;
  }
}

let counter = 0;
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${++counter}@example.test`;
}

export const PASSWORD = 'correct horse battery';

/** Signs up through the app's form, as a person would; resolves on the menu, signed in. */
export async function signUp(
  page: Page,
  appUrl: string,
  name: string,
  email = uniqueEmail(name.toLowerCase().replace(/[^a-z0-9]+/g, '-')),
): Promise<string> {
  await page.goto(new URL('/sign-up', appUrl).toString());
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return email;
}

export async function signIn(page: Page, appUrl: string, email: string, password: string): Promise<void> {
  await page.goto(new URL('/sign-in', appUrl).toString());
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Every GraphQL operation name the page sends, in order (to prove what happened without looking inside the app). */
export function recordOperations(context: BrowserContext | Page): string[] {
  const names: string[] = [];
  context.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().endsWith('/graphql')) return;
    try {
      const body = JSON.parse(request.postData() ?? '{}') as { operationName?: string };
      if (body.operationName) names.push(body.operationName);
    } catch {
      // not JSON: not ours
    }
  });
  return names;
}
