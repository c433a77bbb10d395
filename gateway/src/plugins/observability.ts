import type { ApolloServerPlugin } from '@apollo/server';
import { requestIdOf, type Logger, type Route } from '@brigade/platform';
import type { GatewayContext } from '../context.js';
import type { GatewayMetrics, RequestOutcome } from '../metrics.js';
import { endSpan, type GatewayTracing, type Span } from '../tracing.js';

/** The request span of each in-flight operation, for the data source's fetch spans. */
export type RequestSpans = WeakMap<GatewayContext, Span>;
/** HTTP responses whose operation the plugin has logged; weak, so nothing has to be cleaned up. */
export type ObservedRequests = WeakSet<object>;

/**
 * One access-log line, one metrics sample and (when tracing) one span per operation. The line names the
 * operation, its outcome and who asked; it never carries variables, headers or tokens — variables hold
 * passwords and refresh tokens, so they are not logged at all.
 */
export function observabilityPlugin(options: {
  metrics: GatewayMetrics;
  tracing?: GatewayTracing;
  spans: RequestSpans;
  observed: ObservedRequests;
}): ApolloServerPlugin<GatewayContext> {
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
          const codes = [...new Set((sent ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))];
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
 * access-log line and count as `rejected`, so a flood of refusals shows on the dashboards.
 */
export function observeRefusals(
  route: Route,
  options: { metrics: GatewayMetrics; logger: Logger; observed: ObservedRequests },
): Route {
  const { metrics, logger, observed } = options;
  return (req, res) => {
    const started = performance.now();
    res.once('finish', () => {
      if (observed.has(res) || res.statusCode < 400) return;
      const requestId = String(res.getHeader('x-request-id') ?? requestIdOf(req));
      const seconds = (performance.now() - started) / 1000;
      metrics.observeRequest('anonymous', 'rejected', seconds);
      logger.info(
        {
          reqId: requestId,
          operationName: 'anonymous',
          operationType: null,
          outcome: 'rejected',
          status: res.statusCode,
          durationMs: Math.round(seconds * 10_000) / 10,
          clientIp: req.socket.remoteAddress ?? 'unknown',
        },
        'operation',
      );
    });
    return route(req, res);
  };
}
