import { HttpError, ErrorCode } from '@brigade/platform';
import {
  bearerToken,
  createAccessTokenVerifier,
  InvalidTokenError,
  JwksUnavailableError,
  type AccessTokenVerifierOptions,
} from '../auth/accessTokens.js';
import type { GatewayPlugin } from '../pipeline.js';

export type AccessTokenOptions = AccessTokenVerifierOptions;

/**
 * `Authorization: Bearer <access token>` → the viewer, before any GraphQL runs. No header is anonymous; a
 * present but invalid token refuses the whole request (401), never downgrades it to anonymous; keys that
 * cannot be fetched refuse with 503 (calling the caller anonymous would not be safe).
 */
export function accessTokenPlugin(options: AccessTokenOptions): GatewayPlugin {
  const verifier = createAccessTokenVerifier(options);
  return {
    name: 'accessTokens',
    async http(exchange) {
      try {
        const token = bearerToken(exchange.req.headers.authorization);
        if (token) exchange.viewer = await verifier.verify(token);
      } catch (error) {
        if (error instanceof JwksUnavailableError) {
          throw new HttpError(503, ErrorCode.ServiceUnavailable, 'Cannot verify tokens right now.', { 'retry-after': '5' });
        }
        if (!(error instanceof InvalidTokenError)) throw error;
        throw new HttpError(401, ErrorCode.Unauthenticated, 'Invalid or expired access token.', {
          'www-authenticate': 'Bearer error="invalid_token"',
        });
      }
    },
  };
}
