import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';
import { describe, expect, it } from 'vitest';
import { describeError } from '../src/api/errors.js';
import { nextStatus, parsePrice } from '../src/rules.js';

const graphqlErrors = (code: string, message = 'x') =>
  new CombinedGraphQLErrors({ data: null, errors: [{ message, extensions: { code } }] });

describe('describeError', () => {
  it('when fetch fails (network down), then it says the API cannot be reached', () => {
    expect(describeError(new TypeError('Failed to fetch'))).toMatchObject({
      kind: 'offline',
      message: expect.stringContaining("Can't reach Brigade"),
    });
  });

  it('when the gateway answers 429 with Retry-After, then it says how long to wait', () => {
    const response = new Response('{"errors":[{"message":"Too many requests.","extensions":{"code":"RATE_LIMITED"}}]}', {
      status: 429,
      headers: { 'retry-after': '42' },
    });
    const error = new ServerError('429', {
      response,
      bodyText: '{"errors":[{"message":"Too many requests.","extensions":{"code":"RATE_LIMITED"}}]}',
    });
    expect(describeError(error)).toEqual({
      kind: 'rate-limited',
      retryAfterSeconds: 42,
      message: 'Too many requests. Please wait 42 seconds and try again.',
    });
  });

  it('when a field is FORBIDDEN or the operation is not in the safelist, then it says so in words', () => {
    expect(describeError(graphqlErrors('FORBIDDEN')).message).toContain("don't have permission");
    expect(describeError(graphqlErrors('PERSISTED_QUERY_NOT_IN_LIST')).message).toContain('Reload the page');
    expect(describeError(graphqlErrors('BAD_USER_INPUT', 'Quantity must be 1 to 50.')).message).toBe('Quantity must be 1 to 50.');
  });

  it('when the server fails without a GraphQL body, then it asks to try again later', () => {
    const error = new ServerError('502', { response: new Response('bad gateway', { status: 502 }), bodyText: 'bad gateway' });
    expect(describeError(error).kind).toBe('server');
  });
});

describe('the board and admin helpers', () => {
  it('advances PLACED → PREPARING → READY → SERVED and no further', () => {
    expect(['PLACED', 'PREPARING', 'READY', 'SERVED', 'CANCELLED'].map((s) => nextStatus(s as never))).toEqual([
      'PREPARING',
      'READY',
      'SERVED',
      null,
      null,
    ]);
  });

  it('reads prices in dollars as cents and refuses anything else', () => {
    expect(['3', '3.5', '3.50', '12,25', ' 0.99 ', 'abc', '1.999', '-2'].map(parsePrice)).toEqual([
      300,
      350,
      350,
      1225,
      99,
      null,
      null,
      null,
    ]);
  });
});
