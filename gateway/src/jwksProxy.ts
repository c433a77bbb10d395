import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, ErrorCode } from '@brigade/platform';

const FRESH_MS = 60_000;

/**
 * Serves the auth subgraph's public keys at the gateway too, so clients verify access tokens with the one
 * public origin they know. Cached for a minute; a stale copy is served while auth is unreachable.
 */
export function createJwksProxy(jwksUrl: string) {
  let cached: { body: string; at: number } | undefined;
  return async (_req: IncomingMessage, res: ServerResponse) => {
    if (!cached || Date.now() - cached.at > FRESH_MS) {
      try {
        const response = await fetch(jwksUrl, { signal: AbortSignal.timeout(2_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const keys = (await response.json()) as { keys?: unknown };
        if (!Array.isArray(keys.keys)) throw new Error('not a JWKS');
        cached = { body: JSON.stringify({ keys: keys.keys }), at: Date.now() };
      } catch {
        if (!cached) throw new HttpError(503, ErrorCode.ServiceUnavailable, 'Signing keys are unavailable.');
      }
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=60' });
    res.end(cached!.body);
  };
}
