import { toGraphQLRequest } from '@brigade/platform';
import type { GatewayPlugin } from '../pipeline.js';

export interface RequestBodyOptions {
  /** `MAX_BODY_BYTES` (default 1 MiB): larger bodies are refused with 413 without being read on. */
  readonly maxBodyBytes: number;
}

export const REQUEST_BODY_DEFAULTS = { maxBodyBytes: 1_048_576 } as const;

/**
 * Reads the body: 413 past the size limit, 415 for JSON in another charset than UTF-8, 400 for a body that
 * is not UTF-8 or not JSON. Runs after the caller is known and budgeted, so unauthenticated floods cost no
 * body reads beyond the per-IP budget.
 */
export function requestBodyPlugin(options: RequestBodyOptions): GatewayPlugin {
  return {
    name: 'requestBody',
    async http(exchange) {
      exchange.request = await toGraphQLRequest(exchange.req, options.maxBodyBytes);
    },
  };
}
