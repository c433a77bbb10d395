import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { ANONYMOUS, deadlineHeaders, REQUEST_ID_HEADER, type CredentialMinter, ErrorCode } from '@brigade/platform';
import { GraphQLError } from 'graphql';
import { Pool } from 'undici';
import type { GatewayContext } from './context.js';

interface Reply {
  statusCode: number;
  text: string;
}

const isTimeout = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
};

export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  minter: CredentialMinter;
  timeoutMs: number;
  connections: number;
  /** Share one subgraph call between identical concurrent query fetches (`DEDUPE_SUBGRAPH_FETCHES`). */
  dedupe: boolean;
  /** Observes every fetch (metrics); called with the outcome and the duration in seconds. */
  onFetch?: (subgraph: string, outcome: 'ok' | 'error' | 'timeout', seconds: number) => void;
  /** Opens a span for a fetch of a traced request: the traceparent to send on, and how to end the span. */
  traceFetch?: (subgraph: string, context: GatewayContext) => { traceparent?: string; end(error?: string): void } | undefined;
}

/**
 * Brigade's subgraph fetcher: an undici keep-alive pool per subgraph, a hard timeout per call, and the
 * caller's identity only inside a credential minted for this one subgraph, and in-flight sharing of
 * identical query fetches. Nothing of the client's own headers is forwarded, so a spoofed `x-user-id` never reaches a subgraph. No retries: a mutation must
 * never run twice.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly inFlight = new Map<string, Promise<Reply>>();

  constructor(private readonly options: SubgraphDataSourceOptions) {
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    // Health checks and schema loads carry no request context: they go out with the gateway's own credential.
    const context = 'incomingRequestContext' in options ? options.context : undefined;
    const token = await this.options.minter.mint(this.options.name, context?.viewer ?? ANONYMOUS);
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    if (context?.requestId) headers[REQUEST_ID_HEADER] = context.requestId;
    const traced = context ? this.options.traceFetch?.(this.options.name, context) : undefined;
    const traceparent = traced?.traceparent ?? context?.traceparent;
    if (traceparent) headers.traceparent = traceparent;
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
    });
    // Identical fetches of concurrent queries share one subgraph call: same subgraph, same body, same credential
    // (minted per viewer, so never across viewers). Never for mutations, and not for traced fetches (own spans).
    const shareable =
      this.options.dedupe &&
      !traced &&
      'incomingRequestContext' in options && options.incomingRequestContext.operation?.operation === 'query';
    const started = performance.now();
    try {
      const reply = shareable ? this.shared(`${token}\u0000${body}`, headers, body) : this.send(headers, body);
      const { statusCode, text } = await reply;
      let parsed: GatewayGraphQLResponse | undefined;
      try {
        // Parsed per caller: Apollo Gateway merges into the objects it receives, so sharers must not share them.
        parsed = JSON.parse(text) as GatewayGraphQLResponse;
      } catch {
        // handled below: a non-JSON answer is a subgraph failure
      }
      if (!parsed || typeof parsed !== 'object' || (!('data' in parsed) && !('errors' in parsed))) {
        throw subgraphError(this.options.name, `HTTP ${statusCode} without a GraphQL body`, affectedPath(options));
      }
      this.options.onFetch?.(this.options.name, 'ok', (performance.now() - started) / 1000);
      traced?.end(parsed.errors?.length ? 'graphql errors' : undefined);
      return { data: parsed.data, errors: parsed.errors, extensions: parsed.extensions };
    } catch (error) {
      const timedOut = isTimeout(error);
      this.options.onFetch?.(this.options.name, timedOut ? 'timeout' : 'error', (performance.now() - started) / 1000);
      traced?.end(timedOut ? 'timeout' : 'unreachable');
      if (error instanceof GraphQLError) throw error;
      throw subgraphError(this.options.name, timedOut ? 'timed out' : 'unreachable', affectedPath(options));
    }
  }

  private shared(key: string, headers: Record<string, string>, body: string): Promise<Reply> {
    let reply = this.inFlight.get(key);
    if (!reply) {
      reply = this.send(headers, body);
      this.inFlight.set(key, reply);
      const forget = () => this.inFlight.delete(key);
      reply.then(forget, forget);
    }
    return reply;
  }

  /**
   * One call, bounded by undici's own timers (time to the response head, then between body chunks) rather
   * than an AbortSignal.timeout per call: no timer and signal allocated for every fetch. The subgraph is told
   * when this call stops waiting (the deadline headers), counted from now: undici's timer starts later,
   * once the request is written, so the subgraph's deadline is never later than the moment we give up.
   */
  private async send(headers: Record<string, string>, body: string): Promise<Reply> {
    const timeout = this.options.timeoutMs;
    const response = await this.pool.request({
      path: this.path,
      method: 'POST',
      headers: { ...headers, ...deadlineHeaders(timeout) },
      body,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    return { statusCode: response.statusCode, text: await response.body.text() };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Where in the client's response a failed fetch leaves holes, so the error points at them (Apollo Gateway
 * adds no path to errors a data source throws). Up to the first list wildcard: every element is affected.
 */
function affectedPath(options: GraphQLDataSourceProcessOptions<GatewayContext>): (string | number)[] | undefined {
  const path = 'pathInIncomingRequest' in options ? options.pathInIncomingRequest : undefined;
  if (!path) return undefined;
  const wildcard = path.indexOf('@');
  const prefix = (wildcard < 0 ? path : path.slice(0, wildcard)) as (string | number)[];
  return prefix.length ? prefix : undefined;
}

function subgraphError(subgraph: string, what: string, path?: (string | number)[]): GraphQLError {
  return new GraphQLError(`Subgraph ${subgraph} ${what}.`, {
    ...(path ? { path } : {}),
    extensions: { code: ErrorCode.SubgraphUnavailable, serviceName: subgraph },
  });
}
