/**
 * Brigade's error vocabulary: the expected failures a client is told about, each with its code and a message
 * safe to show. It imports nothing, so domain code throws these itself (`@brigade/platform/problems`).
 *
 * The one mapping to GraphQL is `extensions`. graphql-js builds the GraphQLError for anything thrown under a
 * resolver — queries, mutations, `_entities`, subscribe functions served over SSE — from the thrown error's
 * `extensions`, and Apollo Server does the same for an error thrown by a plugin; so a problem answers with its
 * code (and field) wherever it is thrown, and no resolver translates. Anything else thrown stays unexpected:
 * INTERNAL_SERVER_ERROR, masked in production (see createErrorFormatter).
 */

/** Every code Brigade sends in `extensions.code`. */
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
  // Apollo Server's own, which Brigade passes on.
  GraphqlParseFailed: 'GRAPHQL_PARSE_FAILED',
  PersistedQueryNotFound: 'PERSISTED_QUERY_NOT_FOUND',
  PersistedQueryNotSupported: 'PERSISTED_QUERY_NOT_SUPPORTED',
  OperationResolutionFailure: 'OPERATION_RESOLUTION_FAILURE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An expected failure: `message` is for the client; what it must not see (an address, a transport error) goes in `cause`. */
export abstract class Problem extends Error {
  /** What a GraphQL error made of this problem carries: its code, plus the offending field of bad input. */
  readonly extensions: { readonly field?: string; readonly code: ErrorCode };

  protected constructor(message: string, code: ErrorCode, field?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.extensions = field === undefined ? { code } : { field, code };
  }

  get code(): ErrorCode {
    return this.extensions.code;
  }
}

/** Bad arguments; `field` names the offending input field (`lines.0.quantity`) so clients can point at it. */
export class BadUserInputError extends Problem {
  constructor(message: string, field?: string) {
    super(message, ErrorCode.BadUserInput, field);
  }

  get field(): string | undefined {
    return this.extensions.field;
  }
}

export class UnauthenticatedError extends Problem {
  constructor(message = 'Authentication required.') {
    super(message, ErrorCode.Unauthenticated);
  }
}

export class ForbiddenError extends Problem {
  constructor(message = 'Not allowed.') {
    super(message, ErrorCode.Forbidden);
  }
}

export class NotFoundError extends Problem {
  constructor(message: string) {
    super(message, ErrorCode.NotFound);
  }
}

export class ConflictError extends Problem {
  constructor(message: string) {
    super(message, ErrorCode.Conflict);
  }
}

/** Something this request needs cannot answer now (another service, a deadline); trying again later may work. */
export class ServiceUnavailableError extends Problem {
  constructor(message: string, options?: ErrorOptions) {
    super(message, ErrorCode.ServiceUnavailable, undefined, options);
  }
}

/**
 * Ends every exhaustive switch: `default: throw new UnreachableCaseError(value)` compiles only while `value`
 * is `never`, so a new member of a union fails the build where it is not handled. Where a value from the wire
 * may still be one this build does not know, the switch folds the error (or its `value`) into its answer instead.
 */
export class UnreachableCaseError extends Error {
  readonly value: unknown;

  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
    this.value = value;
  }
}
