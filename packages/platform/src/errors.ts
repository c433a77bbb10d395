import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode } from './problems.js';

// The vocabulary itself is graphql-free, for domain code; here is what GraphQL serving adds to it.
export * from './problems.js';

/** Codes that are safe to show a client in production: they describe the request, not the server. */
export const CLIENT_SAFE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.BadUserInput,
  ErrorCode.Unauthenticated,
  ErrorCode.Forbidden,
  ErrorCode.NotFound,
  ErrorCode.RateLimited,
  ErrorCode.Conflict,
  ErrorCode.ServiceUnavailable,
  ErrorCode.GraphqlParseFailed,
  ErrorCode.GraphqlValidationFailed,
  ErrorCode.BadRequest,
  ErrorCode.PersistedQueryNotFound,
  ErrorCode.PersistedQueryNotSupported,
  ErrorCode.OperationResolutionFailure,
]);

/**
 * Apollo Server `formatError` for every service: in production anything that is not an expected,
 * client-safe error becomes a bare INTERNAL_SERVER_ERROR, so SQL, stack traces and addresses never leak.
 */
export function createErrorFormatter(options: { production: boolean }) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
    if (!options.production) return formatted;
    if (code && CLIENT_SAFE_CODES.has(code)) {
      const { stacktrace: _stack, exception: _exception, response: _response, serviceName: _svc, ...safe } = formatted.extensions ?? {};
      return { ...formatted, extensions: safe };
    }
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.InternalServerError },
    };
  };
}
