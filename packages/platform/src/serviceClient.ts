import type { CredentialMinter } from './credentials.js';
import { deadlineHeaders, REQUEST_ID_HEADER } from './http.js';
import { ANONYMOUS, type Viewer } from './viewer.js';

/** Why a call to another service failed: the callee is down or slow, or it answered with errors. */
export class ServiceCallError extends Error {
  constructor(
    readonly service: string,
    readonly kind: 'unavailable' | 'timeout' | 'graphql',
    message: string,
    readonly codes: readonly string[] = [],
  ) {
    super(`${service}: ${message}`);
  }
}

export interface ServiceClientOptions {
  minter: CredentialMinter;
  /** The callee's name: the credential's audience. */
  target: string;
  url: string;
  timeoutMs: number;
}

/** GraphQL calls from one service to another, each carrying a credential minted for the callee. */
export class ServiceClient {
  constructor(private readonly options: ServiceClientOptions) {}

  get target(): string {
    return this.options.target;
  }

  /**
   * One call, given up after `timeoutMs` (default: the client's own). The callee is told when this caller
   * stops waiting, so it refuses to start work nobody waits for and passes what is left to its own calls.
   */
  async request<T>(
    query: string,
    variables: Record<string, unknown> = {},
    meta: { viewer?: Viewer; requestId?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    const { target, url } = this.options;
    const timeoutMs = meta.timeoutMs ?? this.options.timeoutMs;
    if (timeoutMs <= 0) throw new ServiceCallError(target, 'timeout', 'no time left to call');
    const token = await this.options.minter.mint(target, meta.viewer ?? ANONYMOUS);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          ...(meta.requestId ? { [REQUEST_ID_HEADER]: meta.requestId } : {}),
          ...deadlineHeaders(timeoutMs),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new ServiceCallError(target, 'timeout', 'timed out');
      throw new ServiceCallError(target, 'unavailable', (error as Error).message);
    }
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      body = (await response.json()) as typeof body;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new ServiceCallError(target, 'timeout', 'timed out');
      throw new ServiceCallError(target, 'unavailable', `HTTP ${response.status} without a JSON body`);
    }
    if (body.errors?.length || !body.data) {
      const codes = (body.errors ?? []).map((e) => e.extensions?.code ?? 'UNKNOWN');
      const kind = response.status >= 500 && !body.data ? 'unavailable' : 'graphql';
      throw new ServiceCallError(target, kind, body.errors?.[0]?.message ?? `HTTP ${response.status}`, codes);
    }
    return body.data;
  }
}
