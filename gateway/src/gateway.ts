import { ApolloServer } from '@apollo/server';
import {
  createHttpApp,
  createLogger,
  CredentialMinter,
  executeGraphQL,
  HttpError,
  metricsRoute,
  sendJson,
  ServiceClient,
  type HttpApp,
  type Logger,
  ErrorCode,
} from '@brigade/platform';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { readFile } from 'node:fs/promises';
import { Analysis } from './analysis/index.js';
import { withAuthorization } from './authorizedGateway.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { createGatewayErrorFormatter } from './errorFormatter.js';
import { createFederation } from './federation.js';
import { createJwksProxy } from './jwksProxy.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { createPipeline, type GatewayPlugin } from './pipeline.js';
import { accessTokenPlugin } from './plugins/accessTokens.js';
import { apiKeyPlugin } from './plugins/apiKeys.js';
import { corsPlugin } from './plugins/cors.js';
import { costPlugin } from './plugins/cost.js';
import { landingPagePlugin } from './plugins/landingPage.js';
import { listInputsPlugin } from './plugins/listInputs.js';
import { observabilityPlugin, type RequestSpans } from './plugins/observability.js';
import { operationLimitsPlugin } from './plugins/operationLimits.js';
import { persistedOperationsPlugin } from './plugins/persistedOperations.js';
import { queryTextPlugin } from './plugins/queryText.js';
import { rateLimitPlugin } from './plugins/rateLimit.js';
import { requestBodyPlugin } from './plugins/requestBody.js';
import { subscriptionsPlugin } from './plugins/subscriptions.js';
import { createSubscriptions, type Subscriptions } from './subscriptions/index.js';
import { connectRedis } from './redis.js';
import { subgraphsOf } from './subgraphHealth.js';
import { createTracing } from './tracing.js';

export interface Gateway extends HttpApp {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly config: GatewayConfig;
  /** Prometheus registry and hooks (`onReject` for rate limiters). */
  readonly metrics: GatewayMetrics;
  /** Live streams (subscriptions/): what is open, for tests and operations. */
  readonly subscriptions: Pick<Subscriptions, 'stats'>;
}

/**
 * Builds the gateway (no listening): Apollo Gateway over the composed supergraph, reloaded when the file
 * changes, behind one pipeline of plugins. A request goes through the plugins' HTTP stages in the order listed
 * (every refusal before any GraphQL), then Apollo, whose hooks run the plugins' checks of the parsed operation.
 */
export async function createGateway(
  config: GatewayConfig,
  options: { logger?: Logger; spanExporter?: SpanExporter } = {},
): Promise<Gateway> {
  const { protection: p, production } = config;
  const logger = options.logger ?? createLogger('gateway', { level: config.logLevel });
  const metrics = createGatewayMetrics();
  const tracing = createTracing({ endpoint: config.otlpEndpoint, serviceName: config.otelServiceName, exporter: options.spanExporter });
  const spans: RequestSpans = new WeakMap();
  const redis = p.redisUrl ? connectRedis(p.redisUrl) : undefined;
  redis?.on('error', (err: unknown) => logger.warn({ err }, 'redis error'));
  const initialSdl = await readFile(config.supergraphPath, 'utf8');
  const jwksUrl = config.jwksUrl ?? authJwksUrl(initialSdl);
  const analysis = new Analysis(p.limits);
  const limits = { ...p.limits, onReject: metrics.onReject };
  // One signer of the gateway's per-subgraph credentials: queries, subscriptions and the API-key check.
  const minter = new CredentialMinter('gateway', config.signingKey);
  const formatError = createGatewayErrorFormatter({ production, exposeLimits: p.limits.exposeLimits, hideSuggestions: p.hideSuggestions });
  const subscriptions = createSubscriptions({
    logger,
    registry: metrics.registry,
    minter,
    routingUrl: (name, url) => config.subgraphUrls[name] ?? url,
    formatError: formatError as never,
    limits: config.subscriptions,
  });

  // The pipeline, in order: each plugin's HTTP stage runs in this order before any GraphQL (README, "The gateway").
  const plugins: GatewayPlugin[] = [
    observabilityPlugin({ metrics, logger, tracing, spans }),
    corsPlugin(p.cors),
    ...(p.rateLimit.enabled
      ? [rateLimitPlugin({ ...p.rateLimit, analysis, redis, keyPrefix: `${p.redisKeyPrefix}rl:`, logger, onReject: metrics.onReject })]
      : []),
    accessTokenPlugin({ jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience }),
    apiKeyPlugin({
      auth: new ServiceClient({
        minter,
        target: 'auth',
        url: config.subgraphUrls.auth ?? subgraphsOf(initialSdl).get('auth') ?? new URL('/graphql', jwksUrl).toString(),
        timeoutMs: config.subgraphTimeoutMs,
      }),
      cacheTtlMs: config.apiKeyCacheTtlMs,
      negativeCacheTtlMs: config.apiKeyNegativeCacheTtlMs,
      logger,
    }),
    requestBodyPlugin({ maxBodyBytes: config.bodyLimitBytes }),
    queryTextPlugin(limits),
    await persistedOperationsPlugin({ ...p.persisted, redis, redisKeyPrefix: p.redisKeyPrefix, maxQueryLength: p.limits.maxQueryLength }),
    operationLimitsPlugin({ ...limits, analysis }),
    costPlugin({ ...limits, analysis }),
    listInputsPlugin(limits),
    subscriptionsPlugin(subscriptions),
    landingPagePlugin({ production }),
  ];
  const pipeline = createPipeline(plugins, {
    trustProxy: p.rateLimit.trustProxy,
    context: (exchange) => ({
      viewer: exchange.viewer,
      requestId: exchange.requestId,
      clientIp: exchange.clientIp,
      logger: logger.child({ reqId: exchange.requestId }),
      httpResponse: exchange.res,
      ...(typeof exchange.req.headers.traceparent === 'string' ? { traceparent: exchange.req.headers.traceparent } : {}),
    }),
    respond: async (exchange, context) => {
      await executeGraphQL(apollo, exchange.request, async () => context, exchange.res);
    },
  });

  const federation = createFederation(config, initialSdl, {
    logger,
    metrics,
    tracing,
    spans,
    minter,
    onModel(model) {
      if (!model) return analysis.clear();
      analysis.update(model);
      pipeline.supergraph(model);
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway: subscriptions.wrap(withAuthorization(subscriptions.intercept(federation.gateway), analysis)),
    ...pipeline.apolloOptions,
    introspection: !production,
    includeStacktraceInErrorResponses: !production,
    hideSchemaDetailsFromClientErrors: p.hideSuggestions,
    formatError,
    maxRecursiveSelections: true,
    allowBatchedHttpRequests: false,
    logger,
    // runService owns SIGTERM: Apollo's own handler would stop the server first and re-raise the signal.
    stopOnTerminationSignals: false,
    plugins: pipeline.apolloPlugins,
  });
  await apollo.start();
  subscriptions.attach(apollo);

  const app = createHttpApp({
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    // Open streams end first (SHUTTING_DOWN), so clients reconnect elsewhere and the drain is not held up.
    onDrain: () => subscriptions.drain(),
    onStop: async () => {
      await apollo.stop();
      await federation.close();
      await pipeline.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
      await tracing?.shutdown();
    },
    routes: {
      '/graphql': pipeline.route,
      '/': production ? notFound : pipeline.route,
      '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      '/metrics': metricsRoute(metrics.registry),
      '/ready': (_req, res) => {
        if (app.draining) return sendJson(res, 503, { status: 'draining' });
        const failing = federation.health.failing();
        if (failing.length === 0) return sendJson(res, 200, { status: 'ready' });
        // Which subgraphs fail is an internal detail: shown only in development.
        sendJson(res, 503, production ? { status: 'unavailable' } : { status: 'unavailable', failing });
      },
      '/.well-known/jwks.json': createJwksProxy(jwksUrl),
    },
  });
  return Object.assign(app, { apollo, config, metrics, subscriptions: { stats: () => subscriptions.stats() } });
}

function notFound(): never {
  throw new HttpError(404, ErrorCode.NotFound, 'Not found.');
}

/** Auth's key set, at the auth subgraph's routing URL in the supergraph (when AUTH_JWKS_URL is not set). */
function authJwksUrl(supergraphSdl: string): string {
  const auth = subgraphsOf(supergraphSdl).get('auth');
  if (!auth) throw new Error('no auth subgraph in the supergraph: set AUTH_JWKS_URL');
  return new URL('/.well-known/jwks.json', auth).toString();
}
