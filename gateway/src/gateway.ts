import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  ANONYMOUS,
  createHttpApp,
  createLogger,
  CredentialMinter,
  executeGraphQL,
  HttpError,
  REQUEST_ID_HEADER,
  requestIdOf,
  sendError,
  sendJson,
  toGraphQLRequest,
  type HttpApp,
  type Logger,
  type Viewer,
} from '@brigade/platform';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, createAccessTokenVerifier, InvalidTokenError, JwksUnavailableError } from './auth/accessTokens.js';
import { withAuthorization } from './authorizedGateway.js';
import { createJwksProxy } from './jwksProxy.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { SubgraphDataSource } from './dataSource.js';
import { createProtection } from './plugins/protection.js';
import { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
import { fetchTracing, observabilityPlugin, observeRefusals, type ObservedRequests, type RequestSpans } from './plugins/observability.js';
import { createTracing } from './tracing.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { SubgraphHealth, subgraphsOf } from './subgraphHealth.js';
import { createSubscriptions, type Subscriptions } from './subscriptions/index.js';
import { decodeJwt } from 'jose';
import { prepareForGateway, watchSupergraph } from './supergraph.js';

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
 * changes, behind Brigade's HTTP shell that authenticates the caller before anything else runs.
 */
export async function createGateway(
  config: GatewayConfig,
  options: { logger?: Logger; spanExporter?: SpanExporter } = {},
): Promise<Gateway> {
  const logger = options.logger ?? createLogger('gateway', { level: config.logLevel });
  const metrics = createGatewayMetrics();
  const tracing = createTracing({ endpoint: config.otlpEndpoint, serviceName: config.otelServiceName, exporter: options.spanExporter });
  const spans: RequestSpans = new WeakMap();
  const observed: ObservedRequests = new WeakSet();
  const protection = await createProtection(config, { logger, onReject: (kind) => metrics.onReject(kind) });
  const minter = new CredentialMinter('gateway', config.signingKey);
  const dataSources: SubgraphDataSource[] = [];
  const health = new SubgraphHealth(config.healthCheckIntervalMs, logger);
  const initialSdl = await readFile(config.supergraphPath, 'utf8');
  const routingUrl = (name: string, url: string) => config.subgraphUrls[name] ?? url;
  const authRoutingUrl = subgraphsOf(initialSdl).get('auth');
  if (!config.jwksUrl && !authRoutingUrl) throw new Error('no auth subgraph in the supergraph: set AUTH_JWKS_URL');
  const jwksUrl = config.jwksUrl ?? new URL('/.well-known/jwks.json', authRoutingUrl).toString();

  const subscriptions = createSubscriptions({
    logger,
    registry: metrics.registry,
    minter,
    routingUrl,
    formatError: protection.apollo.formatError as never,
    limits: config.subscriptions,
  });

  const apolloGateway = new ApolloGateway({
    logger,
    queryPlannerConfig: { cache: metrics.queryPlanCache },
    async supergraphSdl({ update }) {
      const stopWatching = watchSupergraph(
        config.supergraphPath,
        initialSdl,
        (sdl) => {
          try {
            update(prepareForGateway(sdl));
            logger.info({ path: config.supergraphPath }, 'supergraph reloaded');
          } catch (error) {
            logger.error({ err: error }, 'supergraph reload refused; still serving the previous one');
          }
        },
        logger,
      );
      return { supergraphSdl: prepareForGateway(initialSdl), cleanup: async () => stopWatching() };
    },
    buildService({ name, url }) {
      const source = new SubgraphDataSource({
        name,
        url: routingUrl(name, url!),
        minter,
        timeoutMs: config.subgraphTimeoutMs,
        connections: config.subgraphConnections,
        dedupe: config.dedupeSubgraphFetches,
        onFetch: metrics.onFetch,
        traceFetch: fetchTracing(tracing, spans),
      });
      dataSources.push(source);
      return source;
    },
  });
  apolloGateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    const urls = new Map([...subgraphsOf(coreSupergraphSdl)].map(([name, url]) => [name, routingUrl(name, url)]));
    void health.watch(urls);
  });
  apolloGateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => protection.updateSupergraph(coreSupergraphSdl));

  const apollo = new ApolloServer<GatewayContext>({
    gateway: subscriptions.wrap(withAuthorization(subscriptions.intercept(apolloGateway), logger)),
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    ...protection.apollo,
    maxRecursiveSelections: true,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    logger,
    // runService owns SIGTERM: Apollo's own handler would stop the server first and re-raise the signal.
    stopOnTerminationSignals: false,
    plugins: [
      observabilityPlugin({ metrics, tracing, spans, observed }),
      ...protection.plugins,
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();
  subscriptions.attach(apollo);

  const verifier = createAccessTokenVerifier({
    jwksUrl,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
  const jwks = createJwksProxy(jwksUrl);

  const graphql = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    if (await protection.beforeAuthentication(req, res)) return;
    let viewer: Viewer = ANONYMOUS;
    let tokenExpiresAt: number | undefined;
    try {
      const token = bearerToken(req.headers.authorization);
      if (token) {
        viewer = await verifier.verify(token);
        const { exp } = decodeJwt(token);
        if (typeof exp === 'number') tokenExpiresAt = exp * 1000;
      }
    } catch (error) {
      if (error instanceof JwksUnavailableError) {
        // Tokens cannot be checked right now; refusing is safe, calling the caller anonymous would not be.
        return sendError(res, new HttpError(503, 'SERVICE_UNAVAILABLE', 'Cannot verify tokens right now.', { 'retry-after': '5' }), requestId);
      }
      if (!(error instanceof InvalidTokenError)) throw error;
      // A present but invalid token refuses the whole request before any subgraph is called.
      return sendError(res, new HttpError(401, 'UNAUTHENTICATED', 'Invalid or expired access token.', {
        'www-authenticate': 'Bearer error="invalid_token"',
      }), requestId);
    }
    await protection.afterAuthentication(viewer);
    const request = await toGraphQLRequest(req, config.bodyLimitBytes);
    const traceparent = req.headers.traceparent;
    const context: GatewayContext = {
      viewer,
      requestId,
      logger: logger.child({ reqId: requestId }),
      clientIp: protection.clientIp(req),
      httpResponse: res,
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
    };
    if (subscriptions.accepts(req)) {
      return subscriptions.serve({ req, res, request, context, ...(tokenExpiresAt ? { expiresAt: tokenExpiresAt } : {}) });
    }
    await executeGraphQL(apollo, request, async () => context, res, { [REQUEST_ID_HEADER]: requestId });
  };

  const observedGraphql = observeRefusals(graphql, { metrics, logger, observed });
  const app = createHttpApp({
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    onDrain: () => subscriptions.drain(),
    onStop: async () => {
      health.stop();
      await apollo.stop();
      await Promise.all(dataSources.map((s) => s.close()));
      await protection.close();
      await tracing?.shutdown();
    },
    routes: {
      '/graphql': observedGraphql,
      '/': config.production
        ? () => {
            throw new HttpError(404, 'NOT_FOUND', 'Not found.');
          }
        : observedGraphql,
      '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      '/metrics': async (_req, res) => {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
      '/ready': (_req, res) => {
        if (app.draining) return sendJson(res, 503, { status: 'draining' });
        const failing = health.failing();
        if (failing.length === 0) return sendJson(res, 200, { status: 'ready' });
        // Which subgraphs fail is an internal detail: shown only in development.
        sendJson(res, 503, config.production ? { status: 'unavailable' } : { status: 'unavailable', failing });
      },
      '/.well-known/jwks.json': jwks,
    },
  });
  return Object.assign(app, { apollo, config, metrics, subscriptions: { stats: () => subscriptions.stats() } });
}
