import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export type { Span };

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  get: (carrier: Record<string, string>, key: string) => carrier[key],
};
const headerSetter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

/**
 * The gateway's tracer: a provider of its own (never the global one, so two gateways in one process keep
 * their spans apart), created only when an exporter is configured. Without it no span object exists at all.
 */
export class GatewayTracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(options: { exporter: SpanExporter; serviceName: string; batch: boolean }) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      spanProcessors: [options.batch ? new BatchSpanProcessor(options.exporter) : new SimpleSpanProcessor(options.exporter)],
    });
    this.tracer = this.provider.getTracer('@brigade/gateway');
  }

  /** The span of one client request, continuing the client's trace when it sent a valid `traceparent`. */
  startRequest(traceparent: string | undefined, attributes: Record<string, string>): Span {
    const parent = traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent }, headerGetter) : ROOT_CONTEXT;
    return this.tracer.startSpan('graphql.request', { kind: SpanKind.SERVER, attributes }, parent);
  }

  /** A child span for one subgraph fetch, and the `traceparent` that makes the subgraph's work its child. */
  startFetch(parent: Span, subgraph: string): { span: Span; traceparent: string | undefined } {
    const span = this.tracer.startSpan(
      `subgraph.fetch ${subgraph}`,
      { kind: SpanKind.CLIENT, attributes: { 'brigade.subgraph': subgraph } },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, headerSetter);
    return { span, traceparent: carrier.traceparent };
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

export function endSpan(span: Span, error?: string): void {
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end();
}

/** Tracing as configured: an explicit exporter (tests), OTLP over HTTP when an endpoint is set, otherwise none. */
export function createTracing(options: {
  endpoint: string | undefined;
  serviceName: string;
  exporter?: SpanExporter;
}): GatewayTracing | undefined {
  if (options.exporter) return new GatewayTracing({ exporter: options.exporter, serviceName: options.serviceName, batch: false });
  if (!options.endpoint) return undefined;
  const url = new URL('v1/traces', options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`).toString();
  return new GatewayTracing({ exporter: new OTLPTraceExporter({ url }), serviceName: options.serviceName, batch: true });
}
