import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DEADLINE_HEADER, TIMEOUT_HEADER, deadlineHeaders, deadlineOf } from '../src/http.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('deadline headers', () => {
  it('when a call is sent with 1500 ms left, then it carries the moment and the milliseconds', () => {
    expect(deadlineHeaders(1500.7, 1_000_000)).toEqual({ [DEADLINE_HEADER]: '1001500', [TIMEOUT_HEADER]: '1500' });
  });

  it('when a request waited unread (its callee frozen), then the moment wins over the milliseconds counted from arrival', () => {
    const sent = 1_000_000;
    const arrived = sent + 3_000;
    expect(deadlineOf(request(deadlineHeaders(1_500, sent)), arrived)).toBe(sent + 1_500);
  });

  it('when the callee’s clock runs behind the caller’s, then the milliseconds from arrival bound the deadline', () => {
    const headers = { [DEADLINE_HEADER]: String(1_000_000 + 60_000), [TIMEOUT_HEADER]: '1500' };
    expect(deadlineOf(request(headers), 1_000_000)).toBe(1_001_500);
  });

  it('when no or malformed deadline headers come, then there is no deadline', () => {
    expect(deadlineOf(request({}), 5)).toBeUndefined();
    expect(deadlineOf(request({ [DEADLINE_HEADER]: 'soon', [TIMEOUT_HEADER]: '-4' }), 5)).toBeUndefined();
    expect(deadlineOf(request({ [TIMEOUT_HEADER]: '250' }), 1_000)).toBe(1_250);
  });
});
