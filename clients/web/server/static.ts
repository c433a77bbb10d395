/**
 * Serves the built web app (clients/web/dist) as static files: hashed assets cached for a year, every
 * other path answered with index.html (the app routes in the browser), `/config.json` telling the app
 * where the gateway is, and `/health` for probes. No API here: the app talks only to the gateway.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_DIST = fileURLToPath(new URL('../dist', import.meta.url));

export interface WebServerOptions {
  /** The built app (default clients/web/dist). */
  readonly root?: string;
  /**
   * The gateway's GraphQL URL the app calls: absolute, or a path on this origin (default `/graphql`). A
   * function is asked on every request (tests start the app before the gateway, whose CORS names the app).
   */
  readonly graphqlUrl?: string | (() => string);
}

export interface WebServer {
  /** Listens; resolves to the app's URL (`http://host:port/`). */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

function securityHeaders(res: ServerResponse, graphqlUrl: string): void {
  const api = /^https?:\/\//.test(graphqlUrl) ? ` ${new URL(graphqlUrl).origin}` : '';
  res.setHeader(
    'content-security-policy',
    `default-src 'self'; connect-src 'self'${api}; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`,
  );
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}

export function createWebServer(options: WebServerOptions = {}): WebServer {
  const root = resolve(options.root ?? DEFAULT_DIST);
  const graphqlUrlOf =
    typeof options.graphqlUrl === 'function' ? options.graphqlUrl : () => (options.graphqlUrl as string | undefined) ?? '/graphql';
  let index: Buffer | null = null;

  async function sendFile(res: ServerResponse, path: string, head: boolean): Promise<boolean> {
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return false;
    res.setHeader('content-type', TYPES[extname(path)] ?? 'application/octet-stream');
    res.setHeader('content-length', info.size);
    // Vite names assets by content hash: they never change. Anything else is revalidated.
    res.setHeader('cache-control', path.startsWith(join(root, 'assets') + sep) ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.writeHead(200);
    if (head) res.end();
    else createReadStream(path).pipe(res);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const graphqlUrl = graphqlUrlOf();
    securityHeaders(res, graphqlUrl);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const head = req.method === 'HEAD';
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://app.invalid').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (pathname === '/health' || pathname === '/ready') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(head ? undefined : '{"status":"ok"}');
      return;
    }
    if (pathname === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(head ? undefined : JSON.stringify({ graphqlUrl }));
      return;
    }
    const path = normalize(join(root, pathname));
    if (pathname.includes('\0') || (path !== root && !path.startsWith(root + sep))) {
      res.writeHead(404).end();
      return;
    }
    if (pathname !== '/' && (await sendFile(res, path, head))) return;
    // A missing file with an extension is a real 404; any other path is one of the app's routes.
    if (extname(pathname) && pathname !== '/index.html') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(head ? undefined : 'Not found');
      return;
    }
    index ??= await readFile(join(root, 'index.html'));
    res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache', 'content-length': index.length });
    res.end(head ? undefined : index);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The web app is not built: run `npm run build -w @brigade/web`.');
    });
  });

  return {
    listen(port, host = '127.0.0.1') {
      return new Promise((resolveUrl, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address() as AddressInfo;
          const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
          resolveUrl(`http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}/`);
        });
      });
    },
    close() {
      return new Promise((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
