import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client/errors';

/** The error codes the app tells apart; everything else is shown with the API's message. */
export type ErrorKind = 'offline' | 'rate-limited' | 'forbidden' | 'unauthenticated' | 'not-allowed' | 'bad-input' | 'server';

export interface Problem {
  readonly kind: ErrorKind;
  /** A sentence for a person: what happened and what they can do. */
  readonly message: string;
  /** For `rate-limited`: seconds until another try can succeed. */
  readonly retryAfterSeconds?: number;
}

interface ErrorBody {
  errors?: { message?: string; extensions?: { code?: string; retryAfter?: number } }[];
}

function codeOf(errors: readonly { message: string; extensions?: Record<string, unknown> | undefined }[]) {
  return errors.map((e) => ({ code: typeof e.extensions?.code === 'string' ? e.extensions.code : undefined, message: e.message }));
}

function fromCode(code: string | undefined, message: string, retryAfterSeconds?: number): Problem {
  switch (code) {
    case 'RATE_LIMITED': {
      const wait = retryAfterSeconds ?? 1;
      return {
        kind: 'rate-limited',
        message: `Too many requests. Please wait ${wait} second${wait === 1 ? '' : 's'} and try again.`,
        retryAfterSeconds: wait,
      };
    }
    case 'FORBIDDEN':
      return { kind: 'forbidden', message: "You don't have permission to do that. Ask an admin if you need it." };
    case 'UNAUTHENTICATED':
      return { kind: 'unauthenticated', message: 'Please sign in to do that.' };
    case 'PERSISTED_QUERY_NOT_IN_LIST':
      return { kind: 'not-allowed', message: 'This version of the app is out of date. Reload the page to get the new one.' };
    case 'BAD_USER_INPUT':
      return { kind: 'bad-input', message };
    default:
      return { kind: 'server', message: message || 'Something went wrong on our side. Please try again.' };
  }
}

function retryAfter(response: Response | undefined): number | undefined {
  const header = response?.headers.get('retry-after');
  const seconds = header ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/** Turns whatever an operation failed with into a sentence a person understands. */
export function describeError(error: unknown): Problem {
  if (CombinedGraphQLErrors.is(error)) {
    const [first] = codeOf(error.errors);
    return fromCode(first?.code, first?.message ?? '');
  }
  if (ServerError.is(error)) {
    let body: ErrorBody = {};
    try {
      body = JSON.parse(error.bodyText) as ErrorBody;
    } catch {
      // not JSON: the status decides
    }
    const first = body.errors?.[0];
    const code =
      first?.extensions?.code ??
      (error.statusCode === 429
        ? 'RATE_LIMITED'
        : error.statusCode === 401
          ? 'UNAUTHENTICATED'
          : error.statusCode === 403
            ? 'FORBIDDEN'
            : undefined);
    if (!code && error.statusCode >= 500) {
      return { kind: 'server', message: 'Brigade is having trouble right now. Please try again in a moment.' };
    }
    return fromCode(code, first?.message ?? error.message, retryAfter(error.response) ?? first?.extensions?.retryAfter);
  }
  if (ServerParseError.is(error)) {
    return { kind: 'server', message: 'Brigade sent an answer the app could not read. Please try again.' };
  }
  if (isNetworkFailure(error)) {
    return { kind: 'offline', message: "Can't reach Brigade. Check your connection and try again." };
  }
  return { kind: 'server', message: error instanceof Error ? error.message : 'Something went wrong. Please try again.' };
}

/** fetch() rejects with a TypeError when the network is down or the server cannot be reached. */
export function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof Error && error.name === 'TypeError');
}

/** The first GraphQL error code of a result's errors, if any. */
export function errorCode(error: unknown): string | undefined {
  if (CombinedGraphQLErrors.is(error)) return codeOf(error.errors)[0]?.code;
  if (ServerError.is(error)) {
    try {
      return (JSON.parse(error.bodyText) as ErrorBody).errors?.[0]?.extensions?.code;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
