import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONDED, type GatewayPlugin } from '../pipeline.js';

export interface CorsOptions {
  /**
   * `CORS_ORIGINS` (comma separated): exact origins allowed to call the API from a browser. Default: none in
   * production, `DEVELOPMENT_CORS_ORIGINS` in development.
   */
  readonly origins: readonly string[];
  /** `Access-Control-Max-Age` of preflight answers (default 600 s). */
  readonly maxAgeSeconds?: number;
}

/**
 * Apollo Sandbox and the local gateway itself, so the development schema stays explorable from a browser,
 * and the web app as `npm start` serves it (WEB_PORT 4100).
 */
export const DEVELOPMENT_CORS_ORIGINS = [
  'https://studio.apollographql.com',
  'http://localhost:4000',
  'http://localhost:4100',
  'http://127.0.0.1:4100',
];
export const CORS_DEFAULTS = { maxAgeSeconds: 600 } as const;

const ALLOWED_HEADERS = [
  // Apollo Client's subscription Accept (`multipart/mixed;boundary="graphql";…`) is not CORS-safelisted.
  'accept',
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-request-id',
  'traceparent',
].join(', ');

/**
 * CORS with an explicit allow-list: an allowed origin is echoed back (never `*`, so credentials-bearing
 * requests stay tied to one origin), any other origin gets no CORS header and the browser blocks the read.
 * `Vary: Origin` always, so caches do not hand one origin's answer to another. CSRF: Apollo's prevention
 * (a "simple" request — GET, or a form/text POST — needs a preflight-forcing header) is switched on here.
 */
export function corsPlugin(options: CorsOptions): GatewayPlugin {
  const cors = createCors(options);
  return {
    name: 'cors',
    http: ({ req, res }) => (cors.handle(req, res) ? RESPONDED : undefined),
    apolloOptions: { csrfPrevention: true },
  };
}

export function createCors(options: CorsOptions) {
  const allowed = new Set(options.origins);
  const maxAge = String(options.maxAgeSeconds ?? CORS_DEFAULTS.maxAgeSeconds);
  return {
    /** Sets the CORS headers; answers a preflight itself (204) and returns true when it did. */
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      res.setHeader('vary', 'Origin');
      const origin = req.headers.origin;
      const ok = typeof origin === 'string' && allowed.has(origin);
      if (ok) {
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
      }
      if (req.method !== 'OPTIONS') return false;
      if (ok) {
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
        res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
        res.setHeader('access-control-max-age', maxAge);
      }
      res.writeHead(204);
      res.end();
      return true;
    },
  };
}
