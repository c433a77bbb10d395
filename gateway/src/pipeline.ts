import type { ApolloServerOptions, ApolloServerPlugin, HTTPGraphQLRequest } from '@apollo/server';
import { ANONYMOUS, HttpError, REQUEST_ID_HEADER, requestIdOf, sendError, type Route, type Viewer } from '@brigade/platform';
import type { ValidationRule } from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SupergraphModel } from './analysis/index.js';
import type { GatewayContext } from './context.js';

/**
 * One HTTP request on its way through the gateway. Request id and client IP are computed once, here, and
 * every plugin, log line and refusal uses these.
 */
export interface HttpExchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** The socket's address, or with `TRUST_PROXY` the last `x-forwarded-for` entry (what our proxy saw). */
  readonly clientIp: string;
  readonly startedAt: number;
  /** Who the request acts for: anonymous until a credential plugin (access token, API key) sets it. */
  viewer: Viewer;
  /** The GraphQL request, once the body stage has read it. */
  request?: HTTPGraphQLRequest;
  /**
   * Who answers once every HTTP stage has passed: Apollo by default. A plugin that serves another transport
   * (a streaming response) sets it in its HTTP stage; it still runs after every refusal.
   */
  responder?: Responder;
}

/** Answers a request that passed every HTTP stage; the context carries the viewer and ids to Apollo. */
export type Responder = (exchange: HttpExchange & { readonly request: HTTPGraphQLRequest }, context: GatewayContext) => Promise<void>;

/** Returned by an HTTP stage that has answered the request itself (a CORS preflight). */
export const RESPONDED = Symbol('responded');
type StageResult = void | typeof RESPONDED;

/** The ApolloServer options a plugin may contribute (validation rules are concatenated, the rest must not clash). */
export type ApolloOptions = Partial<
  Pick<
    ApolloServerOptions<GatewayContext>,
    'parseOptions' | 'validationRules' | 'persistedQueries' | 'csrfPrevention' | 'introspection' | 'hideSchemaDetailsFromClientErrors'
  >
> & { validationOptions?: { maxErrors?: number } };

/**
 * A gateway plugin: one protection or concern, in one file. Every part is optional.
 * - `http`: before GraphQL, in list order; refuses by throwing an `HttpError` (answered with `x-request-id`
 *   and logged), answers itself by returning `RESPONDED`, or adds to the exchange (viewer, request, responder).
 * - `authenticated`: after every `http` stage, when the viewer is known (per-user budgets).
 * - `apollo` / `apolloOptions`: Apollo Server hooks and options, for what needs the parsed operation.
 * - `supergraph`: each loaded supergraph's model (cost weights, authorization policy).
 * - `close`: on shutdown, in reverse order.
 */
export interface GatewayPlugin {
  readonly name: string;
  http?(exchange: HttpExchange): StageResult | Promise<StageResult>;
  authenticated?(exchange: HttpExchange): void | Promise<void>;
  readonly apollo?: ApolloServerPlugin<GatewayContext>;
  readonly apolloOptions?: ApolloOptions;
  supergraph?(model: SupergraphModel): void;
  close?(): Promise<void>;
}

export interface Pipeline {
  /** The `/graphql` route: every HTTP stage, then the responder. */
  readonly route: Route;
  readonly apolloPlugins: ApolloServerPlugin<GatewayContext>[];
  readonly apolloOptions: ApolloOptions & { validationRules: ValidationRule[] };
  supergraph(model: SupergraphModel): void;
  close(): Promise<void>;
}

export function createPipeline(
  plugins: readonly GatewayPlugin[],
  options: {
    trustProxy: boolean;
    /** Builds the per-request context handed to Apollo and to a plugin's responder. */
    context: (exchange: HttpExchange) => GatewayContext;
    /** Apollo, unless a plugin set `exchange.responder`. */
    respond: Responder;
  },
): Pipeline {
  const apolloOptions: ApolloOptions & { validationRules: ValidationRule[] } = { validationRules: [] };
  for (const plugin of plugins) {
    const { validationRules, ...rest } = plugin.apolloOptions ?? {};
    apolloOptions.validationRules.push(...(validationRules ?? []));
    for (const key of Object.keys(rest)) {
      if (key in apolloOptions) throw new Error(`plugin ${plugin.name} sets Apollo option ${key} a previous plugin set`);
    }
    Object.assign(apolloOptions, rest);
  }
  const http = plugins.filter((p) => p.http);
  const authenticated = plugins.filter((p) => p.authenticated);

  const route: Route = async (req, res) => {
    const exchange: HttpExchange = {
      req,
      res,
      requestId: requestIdOf(req),
      clientIp: clientIpOf(req, options.trustProxy),
      startedAt: performance.now(),
      viewer: ANONYMOUS,
    };
    // Every answer carries the id its log lines have, refusals and preflights included.
    res.setHeader(REQUEST_ID_HEADER, exchange.requestId);
    try {
      for (const plugin of http) if ((await plugin.http!(exchange)) === RESPONDED) return;
      for (const plugin of authenticated) await plugin.authenticated!(exchange);
      if (!exchange.request) throw new Error('no plugin read the GraphQL request');
      const ready = exchange as HttpExchange & { request: HTTPGraphQLRequest };
      await (exchange.responder ?? options.respond)(ready, options.context(exchange));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendError(res, error, exchange.requestId);
    }
  };

  return {
    route,
    apolloPlugins: plugins.flatMap((p) => (p.apollo ? [p.apollo] : [])),
    apolloOptions,
    supergraph(model) {
      for (const plugin of plugins) plugin.supergraph?.(model);
    },
    async close() {
      for (const plugin of [...plugins].reverse()) await plugin.close?.();
    },
  };
}

export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const list = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    const last = list
      .map((s) => s.trim())
      .filter(Boolean)
      .at(-1);
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
