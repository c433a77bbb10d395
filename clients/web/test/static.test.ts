import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebServer, type WebServer } from '../server/static.js';

describe('the web app static server', () => {
  const root = mkdtempSync(join(tmpdir(), 'brigade-static-'));
  let server: WebServer;
  let url: string;
  beforeAll(async () => {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
    writeFileSync(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    server = createWebServer({ root, graphqlUrl: 'http://127.0.0.1:4000/graphql' });
    url = await server.listen(0);
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('when a route of the app is asked for, then index.html answers (the app routes in the browser)', async () => {
    const response = await fetch(new URL('/orders', url));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('id="root"');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self' http://127.0.0.1:4000");
  });

  it('when a hashed asset is asked for, then it is served cacheable forever; a missing one is a 404', async () => {
    const asset = await fetch(new URL('/assets/app-1234.js', url));
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(new URL('/assets/missing.js', url))).status).toBe(404);
  });

  it('tells the app where the gateway is, and never serves a file outside its folder', async () => {
    expect(await (await fetch(new URL('/config.json', url))).json()).toEqual({ graphqlUrl: 'http://127.0.0.1:4000/graphql' });
    const escape = await fetch(new URL('/..%2f..%2fetc%2fpasswd', url));
    expect(escape.status).toBe(404);
    expect((await fetch(new URL('/index.html', url), { method: 'POST' })).status).toBe(405);
  });
});
