import { ErrorCode } from '@brigade/platform';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@brigade/platform';
import type { GatewayContext } from '../context.js';
import type { GatewayMetrics, RequestOutcome } from '../metrics.js';
import type { GatewayPlugin, HttpExchange } from '../pipeline.js';
import { endSpan, type GatewayTracing, type Span } from '../tracing.js';

/** The request span of each in-flight operation, for the data source's fetch spans. */
export type RequestSpans = WeakMap<GatewayContext, Span>;
/** HTTP responses whose operation the plugin has logged; weak, so nothing has to be cleaned up. */
export type ObservedRequests = WeakSet<object>;

export interface ObservabilityOptions {
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly tracing?: GatewayTracing;
  /** Shared with the data source, for its fetch spans. */
  readonly spans: RequestSpans;
}

/**
 * First in the pipeline: every request gets exactly one access-log line and one metrics sample — from Apollo's
 * hooks when GraphQL ran, else from the HTTP stage's watch on the response (refused before GraphQL).
 */
export function observabilityPlugin(options: ObservabilityOptions): GatewayPlugin {
  const shared = { ...options, observed: new WeakSet() as ObservedRequests };
  return {
    name: 'observability',
    http: (exchange) => observeRefusal(exchange, shared),
    apollo: operationObserver(shared),
  };
}

/**
 * One access-log line, one metrics sample and (when tracing) one span per operation. The line names the
 * operation, its outcome and who asked; it never carries variables, headers or tokens — variables hold
 * passwords and refresh tokens, so they are not logged at all.
 */
function operationObserver(options: ObservabilityOptions & { observed: ObservedRequests }): ApolloServerPlugin<GatewayContext> {
  const { metrics, tracing, spans, observed } = options;
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      const span = tracing?.startRequest(contextValue.traceparent, { 'brigade.request_id': contextValue.requestId });
      if (span) spans.set(contextValue, span);
      return {
        async willSendResponse({ request, response, operation, operationName, errors }) {
          const seconds = (performance.now() - started) / 1000;
          if (contextValue.httpResponse) observed.add(contextValue.httpResponse);
          const status = response.http.status ?? 200;
          const sent = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const errorCount = sent?.length ?? errors?.length ?? 0;
          const codes = [...new Set((sent ?? []).map((e) => String(e.extensions?.code ?? ErrorCode.InternalServerError)))];
          // Refused before execution (unparsable, invalid, over a limit) is not the same signal as a failing subgraph.
          const outcome: RequestOutcome = !operation || status >= 400 ? 'rejected' : errorCount > 0 ? 'error' : 'success';
          const label = metrics.operationLabel(operationName ?? request.operationName);
          metrics.observeRequest(label, outcome, seconds);
          const viewer = contextValue.viewer;
          contextValue.logger.info(
            {
              operationName: label,
              operationType: operation?.operation ?? null,
              outcome,
              status,
              durationMs: Math.round(seconds * 10_000) / 10,
              errors: errorCount,
              ...(codes.length ? { errorCodes: codes } : {}),
              clientIp: contextValue.clientIp,
              ...(viewer.kind === 'user' ? { userId: viewer.userId } : viewer.kind === 'key' ? { keyId: viewer.keyId } : {}),
              ...(span ? { traceId: span.spanContext().traceId } : {}),
            },
            'operation',
          );
          if (span) {
            span.setAttributes({
              'graphql.operation.name': label,
              'graphql.operation.type': operation?.operation ?? 'unknown',
              'http.response.status_code': status,
            });
            endSpan(span, outcome === 'success' ? undefined : codes.join(',') || outcome);
            spans.delete(contextValue);
          }
        },
      };
    },
  };
}

/** The data source's `traceFetch` hook: a child span of the request span for each subgraph fetch. */
export function fetchTracing(tracing: GatewayTracing | undefined, spans: RequestSpans) {
  if (!tracing) return undefined;
  return (subgraph: string, context: GatewayContext) => {
    const parent = spans.get(context);
    if (!parent) return undefined;
    const { span, traceparent } = tracing.startFetch(parent, subgraph);
    return { traceparent, end: (error?: string) => endSpan(span, error) };
  };
}

/**
 * Requests refused before Apollo saw them (rate limited, invalid token, body too large…) still get one
 * access-log line, with the request id and client IP every other line uses, and count as `rejected`, so a
 * flood of refusals shows on the dashboards.
 */
function observeRefusal(exchange: HttpExchange, options: ObservabilityOptions & { observed: ObservedRequests }): void {
  const { res } = exchange;
  res.once('finish', () => {
    if (options.observed.has(res) || res.statusCode < 400) return;
    const seconds = (performance.now() - exchange.startedAt) / 1000;
    options.metrics.observeRequest('anonymous', 'rejected', seconds);
    options.logger.info(
      {
        reqId: exchange.requestId,
        operationName: 'anonymous',
        operationType: null,
        outcome: 'rejected',
        status: res.statusCode,
        durationMs: Math.round(seconds * 10_000) / 10,
        clientIp: exchange.clientIp,
      },
      'operation',
    );
  });
}
