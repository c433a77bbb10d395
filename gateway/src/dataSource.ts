import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import {
  type CredentialMinter,
  ErrorCode,
  ServiceCallError,
  type ServiceCall,
  type ServiceReply,
  ServiceTransport,
} from '@brigade/platform';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.js';

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
 * Brigade's subgraph fetcher: each fetch is a call over the platform's service transport (a keep-alive pool per
 * subgraph, the caller's identity only inside a credential minted for this one subgraph, a hard timeout, no
 * retries), plus what only the gateway needs: in-flight sharing of identical query fetches, a span per traced
 * fetch, fetch metrics, and failures as GraphQL errors at the holes they leave. Nothing of the client's own
 * headers is forwarded, so a spoofed `x-user-id` never reaches a subgraph.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  private readonly transport: ServiceTransport;
  private readonly inFlight = new Map<string, Promise<ServiceReply>>();

  constructor(private readonly options: SubgraphDataSourceOptions) {
    this.transport = new ServiceTransport({
      minter: options.minter,
      target: options.name,
      url: options.url,
      connections: options.connections,
    });
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request } = options;
    // Health checks and schema loads carry no request context: they go out with the gateway's own credential.
    const context = 'incomingRequestContext' in options ? options.context : undefined;
    const credential = await this.transport.credential(context?.viewer);
    const traced = context ? this.options.traceFetch?.(this.options.name, context) : undefined;
    const call: ServiceCall = {
      credential,
      body: JSON.stringify({
        query: request.query,
        variables: request.variables,
        operationName: request.operationName,
      }),
      timeoutMs: this.options.timeoutMs,
      requestId: context?.requestId,
      traceparent: traced?.traceparent ?? context?.traceparent,
    };
    // Identical fetches of concurrent queries share one subgraph call: same subgraph, same body, same credential
    // (minted per viewer, so never across viewers). Never for mutations, and not for traced fetches (own spans).
    const shareable =
      this.options.dedupe &&
      !traced &&
      'incomingRequestContext' in options &&
      options.incomingRequestContext.operation?.operation === 'query';
    const started = performance.now();
    try {
      const { statusCode, text } = await (shareable ? this.shared(`${credential}\u0000${call.body}`, call) : this.transport.post(call));
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
      const timedOut = error instanceof ServiceCallError && error.kind === 'timeout';
      this.options.onFetch?.(this.options.name, timedOut ? 'timeout' : 'error', (performance.now() - started) / 1000);
      traced?.end(timedOut ? 'timeout' : 'unreachable');
      if (error instanceof GraphQLError) throw error;
      throw subgraphError(this.options.name, timedOut ? 'timed out' : 'unreachable', affectedPath(options));
    }
  }

  private shared(key: string, call: ServiceCall): Promise<ServiceReply> {
    let reply = this.inFlight.get(key);
    if (!reply) {
      reply = this.transport.post(call);
      this.inFlight.set(key, reply);
      const forget = () => this.inFlight.delete(key);
      reply.then(forget, forget);
    }
    return reply;
  }

  close(): Promise<void> {
    return this.transport.close();
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
