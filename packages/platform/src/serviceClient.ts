import { ServiceCallError, ServiceTransport, type ServiceTransportOptions } from './serviceTransport.js';
import type { Viewer } from './viewer.js';

export interface ServiceClientOptions extends ServiceTransportOptions {
  timeoutMs: number;
}

/** GraphQL calls from one service to another, each carrying a credential minted for the callee. */
export class ServiceClient {
  private readonly transport: ServiceTransport;
  private readonly timeoutMs: number;

  constructor({ timeoutMs, ...transport }: ServiceClientOptions) {
    this.transport = new ServiceTransport(transport);
    this.timeoutMs = timeoutMs;
  }

  get target(): string {
    return this.transport.target;
  }

  /**
   * One call, given up after `timeoutMs` (default: the client's own), connecting included: the caller passes on
   * what is left of its own deadline, so the whole exchange must end by then. The callee is told when this
   * caller stops waiting, so it refuses to start work nobody waits for and passes what is left to its own calls.
   */
  async request<T>(
    query: string,
    variables: Record<string, unknown> = {},
    meta: { viewer?: Viewer; requestId?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    const { target } = this;
    const timeoutMs = meta.timeoutMs ?? this.timeoutMs;
    if (timeoutMs <= 0) throw new ServiceCallError(target, 'timeout', 'no time left to call');
    const credential = await this.transport.credential(meta.viewer);
    const { statusCode, text } = await this.transport.post({
      credential,
      body: JSON.stringify({ query, variables }),
      timeoutMs,
      requestId: meta.requestId,
      signal: AbortSignal.timeout(timeoutMs),
    });
    let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | null;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = null;
    }
    if (!body || typeof body !== 'object') {
      throw new ServiceCallError(target, 'unavailable', `HTTP ${statusCode} without a JSON body`);
    }
    if (body.errors?.length || !body.data) {
      const codes = (body.errors ?? []).map((e) => e.extensions?.code ?? 'UNKNOWN');
      const kind = statusCode >= 500 && !body.data ? 'unavailable' : 'graphql';
      throw new ServiceCallError(target, kind, body.errors?.[0]?.message ?? `HTTP ${statusCode}`, codes);
    }
    return body.data;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
