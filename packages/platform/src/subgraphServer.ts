import { ErrorCode } from './errors.js';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import type { DocumentNode } from 'graphql';
import { createHandler as createSseHandler } from 'graphql-sse/lib/use/http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { enforceDirectives } from './authorization.js';
import { enforceCallers, type Callers } from './callers.js';
import { validateTextInputs, type TextInputErrors } from './textInputs.js';
import { CredentialError, type CredentialVerifier } from './credentials.js';
import { createErrorFormatter } from './errors.js';
import {
  createHttpApp,
  deadlineOf,
  executeGraphQL,
  HttpError,
  REQUEST_ID_HEADER,
  requestIdOf,
  sendError,
  sendJson,
  toGraphQLRequest,
  type HttpApp,
} from './http.js';
import { metricsRoute } from './metrics.js';
import type { Logger } from './logger.js';
import type { Viewer } from './viewer.js';

/** What every subgraph resolver receives; services extend it with their own dependencies. */
export interface SubgraphContext extends BaseContext {
  readonly viewer: Viewer;
  /** The service that minted the request's credential: `gateway`, or a service such as `orders`. */
  readonly caller: string;
  readonly requestId: string;
  readonly logger: Logger;
  /**
   * When the caller stops waiting (epoch milliseconds), from the deadline headers; undefined when it sent
   * none. Work that must finish while someone still waits for it (a saga's decision) draws from it, and
   * calls made on the request's behalf pass what is left on.
   */
  readonly deadline?: number;
}

/** A subgraph's resolvers, checked against the context they receive. */
export type SubgraphResolvers<Context extends SubgraphContext> = GraphQLResolverMap<Context>;

export interface SubgraphServerOptions<Deps extends object, RequestDeps extends object> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers<SubgraphContext & Deps & RequestDeps>;
  /** Handed to every resolver through the context. */
  deps: Deps;
  /** Built afresh for each request and merged into the context: per-request batch loaders and caches. */
  requestDeps: () => RequestDeps;
  verifier: CredentialVerifier;
  logger: Logger;
  production: boolean;
  /** Throws when the service cannot serve (its database is unreachable…); `/ready` turns 503. */
  ready?: () => Promise<void>;
  /** Called once in-flight requests are done, to close databases and timers. */
  onStop?: () => Promise<void>;
  bodyLimitBytes?: number;
  shutdownTimeoutMs?: number;
  /** Which services may call which root fields (see Callers); the verifier must accept exactly these issuers. */
  callers: Callers;
  /**
   * Per `Type.field`, the error a field raises for a NUL or unpaired surrogate in its text arguments instead
   * of BAD_USER_INPUT (auth's logIn: the same error as a wrong password).
   */
  textInputErrors?: TextInputErrors;
  /** Extra exact-path HTTP routes (e.g. the JWKS of auth). */
  routes?: Parameters<typeof createHttpApp>[0]['routes'];
}

export interface SubgraphServer extends HttpApp {
  readonly name: string;
  readonly apollo: ApolloServer<SubgraphContext>;
}

/**
 * One subgraph: Apollo's subgraph schema with its directives enforced, behind an HTTP shell that refuses
 * every GraphQL request without a valid internal credential addressed to it — `_service` and
 * `_entities` included. Only `/health` and `/ready` are open.
 */
export async function createSubgraphServer<Deps extends object, RequestDeps extends object>(
  options: SubgraphServerOptions<Deps, RequestDeps>,
): Promise<SubgraphServer> {
  const { logger } = options;
  const schema = buildSubgraphSchema([
    {
      typeDefs: options.typeDefs,
      // Which service may call, then the directives (which user may), then text validation, then the resolver.
      resolvers: enforceCallers(
        options.typeDefs,
        enforceDirectives(options.typeDefs, validateTextInputs(options.typeDefs, options.resolvers, options.textInputErrors)),
        options.callers,
      ),
    },
  ]);
  const apollo = new ApolloServer<SubgraphContext>({
    schema,
    introspection: !options.production,
    includeStacktraceInErrorResponses: !options.production,
    formatError: createErrorFormatter({ production: options.production }),
    plugins: [ApolloServerPluginLandingPageDisabled()],
    logger,
    // runService owns SIGTERM: Apollo's own handler would stop the server first and re-raise the signal.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const bodyLimit = options.bodyLimitBytes ?? 1_048_576;
  const openStreams = new Set<ServerResponse>();
  const metrics = subgraphMetrics(options.name, () => openStreams.size);
  // Subscriptions (and any operation a client asks to stream) over GraphQL-over-SSE, distinct connections
  // mode: what the Brigade gateway, Hive Gateway and other routers speak to subgraphs. The context comes
  // from the credential checked below, never from the stream itself.
  const streamContexts = new WeakMap<IncomingMessage, SubgraphContext & Deps & RequestDeps>();
  const sse = createSseHandler<Record<string, unknown>>({
    schema,
    authenticate: () => null,
    context: (req) => streamContexts.get(req.raw) as unknown as Record<string, unknown>,
  });

  const app = createHttpApp({
    logger,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 10_000,
    // Streams never finish on their own: ending them lets subscribers (the gateway) re-subscribe elsewhere.
    onDrain: () => {
      for (const res of openStreams) res.end();
    },
    onStop: async () => {
      await apollo.stop();
      await options.onStop?.();
    },
    routes: {
      ...options.routes,
      '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
      '/metrics': metricsRoute(metrics.registry),
      '/ready': async (_req, res) => {
        if (app.draining) return sendJson(res, 503, { status: 'draining' });
        try {
          // A probe must answer: a database that hangs means not ready, within the probe's own timeout.
          await withTimeout(options.ready?.(), READY_TIMEOUT_MS);
          sendJson(res, 200, { status: 'ready' });
        } catch (error) {
          logger.warn({ err: error }, 'not ready');
          sendJson(res, 503, { status: 'unavailable' });
        }
      },
      '/graphql': async (req, res) => {
        const started = performance.now();
        const deadline = deadlineOf(req);
        const requestId = requestIdOf(req);
        // The gateway's fetch span id travels in traceparent: logging its trace id joins logs to traces.
        const traceId = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(String(req.headers.traceparent ?? ''))?.[1];
        const log = logger.child(traceId ? { reqId: requestId, traceId } : { reqId: requestId });
        const header = req.headers.authorization;
        const token = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
        if (!token) {
          return sendError(res, new HttpError(401, ErrorCode.Unauthenticated, 'A service credential is required.'), requestId);
        }
        let claims;
        try {
          claims = await options.verifier.verify(token);
        } catch (error) {
          log.warn({ reason: error instanceof CredentialError ? error.message : 'error' }, 'credential refused');
          return sendError(res, new HttpError(401, ErrorCode.Unauthenticated, 'Invalid service credential.'), requestId);
        }
        // A stream outlives any deadline its request carried: only a single answer is bound by one.
        const contextOf = (until?: number): SubgraphContext & Deps & RequestDeps => ({
          ...options.deps,
          ...options.requestDeps(),
          viewer: claims.viewer,
          caller: claims.issuer,
          requestId,
          logger: log,
          deadline: until,
        });
        if (/\btext\/event-stream\b/i.test(String(req.headers.accept ?? ''))) {
          streamContexts.set(req, contextOf());
          log.info({ caller: claims.issuer }, 'stream opened');
          openStreams.add(res);
          res.once('close', () => {
            openStreams.delete(res);
            log.info({ durationMs: Math.round(performance.now() - started) }, 'stream closed');
          });
          return sse(req, res);
        }
        const request = await toGraphQLRequest(req, bodyLimit);
        if (deadline !== undefined && deadline <= Date.now()) {
          // Nobody waits for the answer any more: starting now would only do work its caller believes failed.
          metrics.observe(undefined, 504, (performance.now() - started) / 1000);
          log.warn(
            { caller: claims.issuer, lateByMs: Date.now() - deadline },
            "refused: the caller's deadline passed before the request started",
          );
          return sendError(
            res,
            new HttpError(504, ErrorCode.DeadlineExceeded, 'The deadline of this request passed before it could start.'),
            requestId,
          );
        }
        const status = await executeGraphQL(apollo, request, async () => contextOf(deadline), res, { [REQUEST_ID_HEADER]: requestId });
        const body = request.body as { operationName?: unknown } | undefined;
        const operationName = typeof body?.operationName === 'string' ? body.operationName : undefined;
        const seconds = (performance.now() - started) / 1000;
        metrics.observe(operationName, status, seconds);
        log.info(
          {
            operationName,
            caller: claims.issuer,
            status,
            durationMs: Math.round(seconds * 10_000) / 10,
          },
          'request',
        );
      },
    },
  });
  return Object.assign(app, { name: options.name, apollo });
}

/** Per-server registry (several servers share a process in npm start and in tests); operation names capped so labels stay bounded. */
function subgraphMetrics(subgraph: string, openStreams: () => number) {
  const registry = new Registry();
  registry.setDefaultLabels({ subgraph });
  const labelNames = ['operation', 'status'] as const;
  const requests = new Counter({
    name: 'brigade_subgraph_requests_total',
    help: 'GraphQL requests served by this subgraph, by operation name and HTTP status.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'brigade_subgraph_request_duration_seconds',
    help: 'Time to serve a GraphQL request, by operation name and HTTP status.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'brigade_subgraph_streams_open',
    help: 'Subscription streams (GraphQL over SSE) this subgraph is serving.',
    registers: [registry],
    collect() {
      this.set(openStreams());
    },
  });
  const names = new Set<string>();
  return {
    registry,
    observe(operationName: string | undefined, status: number, seconds: number) {
      let operation = operationName && /^[_A-Za-z][_0-9A-Za-z]{0,99}$/.test(operationName) ? operationName : 'anonymous';
      if (operation !== 'anonymous' && !names.has(operation)) {
        if (names.size < 200) names.add(operation);
        else operation = 'other';
      }
      requests.inc({ operation, status: String(status) });
      duration.observe({ operation, status: String(status) }, seconds);
    },
  };
}

const READY_TIMEOUT_MS = 2_000;

function withTimeout(work: Promise<void> | undefined, ms: number): Promise<void> {
  if (!work) return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check exceeded ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
