import { decodeJwt } from 'jose';
import { bearerToken } from '../auth/accessTokens.js';
import type { GatewayPlugin } from '../pipeline.js';
import type { Subscriptions } from '../subscriptions/index.js';

/**
 * Streams at `/graphql`: a request that asks for one (Apollo multipart subscriptions, GraphQL over SSE) is
 * answered by the gateway's subscription machinery instead of a single response — after every HTTP stage
 * (CORS, rate limits, the access token, the body and query-text limits) has passed; Apollo's own checks then
 * run on the subscription document inside it. The stream ends when the access token expires.
 */
export function subscriptionsPlugin(subscriptions: Subscriptions): GatewayPlugin {
  return {
    name: 'subscriptions',
    http(exchange) {
      if (!subscriptions.accepts(exchange.req)) return;
      exchange.responder = async ({ req, res, request }, context) => {
        // The access-token stage has verified the token already; only its expiry is read here.
        const token = bearerToken(req.headers.authorization);
        const exp = token ? decodeJwt(token).exp : undefined;
        await subscriptions.serve({ req, res, request, context, ...(typeof exp === 'number' ? { expiresAt: exp * 1000 } : {}) });
      };
    },
  };
}
