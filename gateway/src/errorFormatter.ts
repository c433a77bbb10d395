import { createErrorFormatter, ErrorCode } from '@brigade/platform';
import type { GraphQLFormattedError } from 'graphql';
import { redactLimitDetails } from './plugins/operationLimits.js';
import { NOT_IN_LIST } from './plugins/persistedOperations.js';

export interface ErrorMaskingOptions {
  readonly production: boolean;
  /** Say which limit was hit and its number (default: not production). */
  readonly exposeLimits?: boolean;
  /** Drop "Did you mean …" suggestions (default: production). */
  readonly hideSuggestions?: boolean;
}

/** Codes the gateway itself raises that describe the request, on top of the platform's client-safe set. */
const GATEWAY_SAFE_CODES: ReadonlySet<string> = new Set([NOT_IN_LIST]);

/**
 * The gateway's `formatError`: the platform's production masking (anything not client-safe becomes a bare
 * INTERNAL_SERVER_ERROR — including a subgraph's own internal errors, whatever their message), plus what only
 * the gateway knows: an unreachable subgraph is reported without its name, and limit numbers and schema
 * suggestions are removed. `serviceName` and `response` never leave the gateway in production.
 */
export function createGatewayErrorFormatter(options: ErrorMaskingOptions) {
  const platform = createErrorFormatter({ production: options.production });
  const redact = {
    exposeLimits: options.exposeLimits ?? !options.production,
    hideSuggestions: options.hideSuggestions ?? options.production,
  };
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const redacted = redactLimitDetails(formatted, redact);
    if (!options.production) return redacted;
    const code = redacted.extensions?.code;
    if (code === ErrorCode.SubgraphUnavailable) {
      return {
        message: 'A service is temporarily unavailable.',
        ...(redacted.path ? { path: redacted.path } : {}),
        extensions: { code: ErrorCode.ServiceUnavailable },
      };
    }
    if (typeof code === 'string' && GATEWAY_SAFE_CODES.has(code)) {
      return { message: redacted.message, ...(redacted.path ? { path: redacted.path } : {}), extensions: { code } };
    }
    return platform(redacted);
  };
}
