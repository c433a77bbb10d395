import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import {
  ANONYMOUS,
  createErrorFormatter,
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
import { bearerToken, createAccessTokenVerifier, InvalidTokenError } from './auth/accessTokens.js';
import { createJwksProxy } from './jwksProxy.js';
import type { GatewayConfig } from './config.js';
import type { GatewayContext } from './context.js';
import { SubgraphDataSource } from './dataSource.js';
import { SubgraphHealth, subgraphsOf } from './subgraphHealth.js';
import { prepareForGateway, watchSupergraph } from './supergraph.js';

export interface Gateway extends HttpApp {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly config: GatewayConfig;
}

/**
 * Builds the gateway (no listening): Apollo Gateway over the composed supergraph, reloaded when the file
 * changes, behind Brigade's HTTP shell that authenticates the caller before anything else runs.
 */
export async function createGateway(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger('gateway', { level: config.logLevel });
  const minter = new CredentialMinter('gateway', config.signingKey);
  const dataSources: SubgraphDataSource[] = [];
  const health = new SubgraphHealth(config.healthCheckIntervalMs, logger);
  const initialSdl = await readFile(config.supergraphPath, 'utf8');
  const routingUrl = (name: string, url: string) => config.subgraphUrls[name] ?? url;

  const apolloGateway = new ApolloGateway({
    logger,
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
      });
      dataSources.push(source);
      return source;
    },
  });
  apolloGateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    const urls = new Map([...subgraphsOf(coreSupergraphSdl)].map(([name, url]) => [name, routingUrl(name, url)]));
    void health.watch(urls);
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway: apolloGateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: createErrorFormatter({ production: config.production }),
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    logger,
    plugins: [
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  const verifier = createAccessTokenVerifier({
    jwksUrl: config.jwksUrl,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
  const jwks = createJwksProxy(config.jwksUrl);

  const graphql = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req);
    let viewer: Viewer = ANONYMOUS;
    try {
      const token = bearerToken(req.headers.authorization);
      if (token) viewer = await verifier.verify(token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      // A present but invalid token refuses the whole request before any subgraph is called.
      return sendError(res, new HttpError(401, 'UNAUTHENTICATED', 'Invalid or expired access token.', {
        'www-authenticate': 'Bearer error="invalid_token"',
      }), requestId);
    }
    const request = await toGraphQLRequest(req, config.bodyLimitBytes);
    const traceparent = req.headers.traceparent;
    const context: GatewayContext = {
      viewer,
      requestId,
      logger: logger.child({ reqId: requestId }),
      clientIp: req.socket.remoteAddress ?? 'unknown',
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
    };
    await executeGraphQL(apollo, request, async () => context, res, { [REQUEST_ID_HEADER]: requestId });
  };

  const app = createHttpApp({
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    onStop: async () => {
      health.stop();
      await apollo.stop();
      await Promise.all(dataSources.map((s) => s.close()));
    },
    routes: {
      '/graphql': graphql,
      '/': config.production
        ? () => {
            throw new HttpError(404, 'NOT_FOUND', 'Not found.');
          }
        : graphql,
      '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
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
  return Object.assign(app, { apollo, config });
}
