import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Every expected error Brigade raises carries one of these codes in `extensions.code`. */
export const ErrorCode = {
  BadUserInput: 'BAD_USER_INPUT',
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  RateLimited: 'RATE_LIMITED',
  Conflict: 'CONFLICT',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  InternalServerError: 'INTERNAL_SERVER_ERROR',
  // The transport's and the gateway's own refusals and stream endings.
  BadRequest: 'BAD_REQUEST',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  GraphqlValidationFailed: 'GRAPHQL_VALIDATION_FAILED',
  PersistedQueryNotInList: 'PERSISTED_QUERY_NOT_IN_LIST',
  DeadlineExceeded: 'DEADLINE_EXCEEDED',
  SubgraphUnavailable: 'SUBGRAPH_UNAVAILABLE',
  TooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  SubscriptionOverflow: 'SUBSCRIPTION_OVERFLOW',
  SupergraphReloaded: 'SUPERGRAPH_RELOADED',
  ShuttingDown: 'SHUTTING_DOWN',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that are safe to show a client in production: they describe the request, not the server. */
export const CLIENT_SAFE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.BadUserInput,
  ErrorCode.Unauthenticated,
  ErrorCode.Forbidden,
  ErrorCode.NotFound,
  ErrorCode.RateLimited,
  ErrorCode.Conflict,
  ErrorCode.ServiceUnavailable,
  'GRAPHQL_PARSE_FAILED',
  ErrorCode.GraphqlValidationFailed,
  ErrorCode.BadRequest,
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

abstract class CodedError extends GraphQLError {
  constructor(message: string, code: ErrorCode, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

/** Bad arguments; `field` names the offending input field so clients can point at it. */
export class BadUserInputError extends CodedError {
  constructor(message: string, field?: string) {
    super(message, ErrorCode.BadUserInput, field ? { field } : {});
  }
}
export class UnauthenticatedError extends CodedError {
  constructor(message = 'Authentication required.') {
    super(message, ErrorCode.Unauthenticated);
  }
}
export class ForbiddenError extends CodedError {
  constructor(message = 'Not allowed.') {
    super(message, ErrorCode.Forbidden);
  }
}
export class NotFoundError extends CodedError {
  constructor(message: string) {
    super(message, ErrorCode.NotFound);
  }
}
export class ConflictError extends CodedError {
  constructor(message: string) {
    super(message, ErrorCode.Conflict);
  }
}
export class ServiceUnavailableError extends CodedError {
  constructor(message: string) {
    super(message, ErrorCode.ServiceUnavailable);
  }
}

/**
 * Apollo Server `formatError` for every service: in production anything that is not an expected,
 * client-safe error becomes a bare INTERNAL_SERVER_ERROR, so SQL, stack traces and addresses never leak.
 */
export function createErrorFormatter(options: { production: boolean }) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const code = typeof formatted.extensions?.code === 'string' ? formatted.extensions.code : undefined;
    if (!options.production) return formatted;
    if (code && CLIENT_SAFE_CODES.has(code)) {
      const { stacktrace: _stack, exception: _exception, response: _response, serviceName: _svc, ...safe } =
        formatted.extensions ?? {};
      return { ...formatted, extensions: safe };
    }
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.InternalServerError },
    };
  };
}
