import { Pool } from 'undici';
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

export interface ServiceTransportOptions {
  minter: CredentialMinter;
  /** The callee's name: the credential's audience. */
  target: string;
  url: string;
  /** Keep-alive connections to the callee at most; by default one per call in flight. */
  connections?: number;
}

export interface ServiceCall {
  /** A credential from `credential()`. */
  credential: string;
  /** The GraphQL request as JSON. */
  body: string;
  /** How long this caller waits; the callee is told. */
  timeoutMs: number;
  requestId?: string;
  traceparent?: string;
  /** Ends the exchange when it aborts, connecting and waiting for a free connection included. */
  signal?: AbortSignal;
}

export interface ServiceReply {
  statusCode: number;
  text: string;
}

const isUndiciTimeout = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
};

/**
 * How one Brigade service calls another: a GraphQL POST over a keep-alive pool to the callee, carrying the
 * caller's identity only inside a credential minted for this one callee, the request id, and the moment the
 * caller stops waiting. Failing to get an answer is a `ServiceCallError` (`timeout` or `unavailable`); what
 * the answer says is the caller's to read. No retries: a mutation must never run twice.
 */
export class ServiceTransport {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly options: ServiceTransportOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? null,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
  }

  get target(): string {
    return this.options.target;
  }

  /** The credential for calls on behalf of `viewer`: minted for this callee, reused while fresh. */
  credential(viewer: Viewer = ANONYMOUS): Promise<string> {
    return this.options.minter.mint(this.options.target, viewer);
  }

  /**
   * One exchange, bounded by undici's own timers (time to the response head, then between body chunks) rather
   * than a timer and signal per call; a caller that needs the whole exchange bounded passes a signal. The callee
   * is told when this call stops waiting, counted from now: undici's timers start later, once the request is
   * written, so the callee's deadline is never later than the moment we give up.
   */
  async post(call: ServiceCall): Promise<ServiceReply> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${call.credential}`,
      ...deadlineHeaders(call.timeoutMs),
    };
    if (call.requestId) headers[REQUEST_ID_HEADER] = call.requestId;
    if (call.traceparent) headers.traceparent = call.traceparent;
    try {
      const response = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers,
        body: call.body,
        headersTimeout: call.timeoutMs,
        bodyTimeout: call.timeoutMs,
        signal: call.signal,
      });
      return { statusCode: response.statusCode, text: await response.body.text() };
    } catch (error) {
      const { target } = this.options;
      if (call.signal?.aborted || isUndiciTimeout(error)) throw new ServiceCallError(target, 'timeout', 'timed out');
      throw new ServiceCallError(target, 'unavailable', (error as Error).message);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
