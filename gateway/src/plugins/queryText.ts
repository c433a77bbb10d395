import { HttpError, ErrorCode } from '@brigade/platform';
import type { GatewayPlugin } from '../pipeline.js';
import { LIMIT_EXCEEDED_MESSAGE } from './operationLimits.js';

export interface QueryTextOptions {
  /**
   * `MAX_QUERY_LENGTH` (default 15000): characters of query text, comments and white space included. Longer
   * text is refused with 400 before it is parsed, hashed or stored by APQ.
   */
  readonly maxQueryLength: number;
  /** Name the limit and the length in the message (development). */
  readonly exposeLimits: boolean;
  readonly onReject?: (limit: string) => void;
}

export const QUERY_TEXT_DEFAULTS = { maxQueryLength: 15_000 } as const;

/**
 * The token limit counts tokens, not characters: a query that is almost all comment passes it, and APQ
 * would then keep it (in Redis, for a day). This bounds the text itself, in the body (APQ registrations
 * included) and in a GET's query string, before Apollo sees it.
 */
export function queryTextPlugin(options: QueryTextOptions): GatewayPlugin {
  return {
    name: 'queryText',
    http(exchange) {
      const request = exchange.request;
      if (!request) return;
      const body = request.body as { query?: unknown } | undefined;
      const fromBody = body && typeof body === 'object' && !Array.isArray(body) ? body.query : undefined;
      const query = typeof fromBody === 'string' ? fromBody : new URLSearchParams(request.search).get('query');
      if (typeof query !== 'string' || query.length <= options.maxQueryLength) return;
      options.onReject?.('queryLength');
      throw new HttpError(
        400,
        ErrorCode.GraphqlValidationFailed,
        options.exposeLimits
          ? `Query text of ${query.length} characters exceeds the limit of ${options.maxQueryLength}.`
          : LIMIT_EXCEEDED_MESSAGE,
      );
    },
  };
}
