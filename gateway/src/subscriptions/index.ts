import { ErrorCode } from '@brigade/platform';
import type { ApolloServer, HTTPGraphQLRequest } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { GatewayExecutor, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import type { ExecutingGateway } from '../authorizedGateway.js';
import type { CredentialMinter, Logger, Viewer } from '@brigade/platform';
import {
  GraphQLError,
  Kind,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import { hydratingDocument, LIVE_KEY_VARIABLE, liveFieldsOf, rootFieldOf, type LiveField } from './routing.js';
import { createWriter, streamingTransportOf, type ResultBody, type StreamWriter } from './transport.js';
import { UpstreamPool, type LiveEvent } from './upstream.js';

export { streamingTransportOf } from './transport.js';

/**
 * Per-request mark a streaming request carries through Apollo Server's pipeline: the gateway's innermost
 * executor sets `admitted` once every check (limits, cost, safelist, rate limits, authorization) passed,
 * instead of executing; the outermost records the client's operation to run for each event.
 */
export interface SubscriptionSlot {
  admitted?: boolean;
  operation?: AdmittedOperation;
}

interface AdmittedOperation {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly operationName: string | null;
  readonly variables: Record<string, unknown>;
}

export interface SubscriptionLimits {
  /** Open subscriptions per user (per client IP when anonymous). Default 20. */
  readonly maxPerViewer: number;
  /** Events buffered for a client whose connection is not taking them; one more ends its stream. Default 64. */
  readonly queueLimit: number;
  /** Heartbeat period of idle streams. Default 10000. */
  readonly heartbeatMs: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = { maxPerViewer: 20, queueLimit: 64, heartbeatMs: 10_000 };

export interface SubscriptionsOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly minter: CredentialMinter;
  /** The routing URL of a subgraph (configuration overrides win over the supergraph's). */
  readonly routingUrl: (name: string, url: string) => string;
  /** The gateway's error formatter, so events mask errors exactly as responses do. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  readonly limits?: Partial<SubscriptionLimits>;
}

export interface ServeOptions {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly request: HTTPGraphQLRequest;
  readonly context: GatewayContext;
  /** When the caller's access token expires (epoch ms): the stream ends then with UNAUTHENTICATED. */
  readonly expiresAt?: number;
}

/** Why a stream ended, for metrics. */
type EndReason =
  | 'refused'
  | 'client_closed'
  | 'token_expired'
  | 'overflow'
  | 'supergraph_reloaded'
  | 'shutdown'
  | 'upstream_refused'
  | 'upstream_unavailable';

export interface Subscriptions {
  /** Wraps Apollo Gateway (innermost): an admitted subscription is recorded instead of executed. */
  intercept(gateway: ExecutingGateway): ExecutingGateway;
  /** Wraps the authorizing gateway (outermost): events are hydrated through it, as the subscriber. */
  wrap(gateway: ExecutingGateway): ExecutingGateway;
  attach(apollo: ApolloServer<GatewayContext>): void;
  /** True when the request asks for a stream (multipart subscription or SSE). */
  accepts(req: IncomingMessage): boolean;
  serve(options: ServeOptions): Promise<void>;
  /** Ends every stream with SHUTTING_DOWN (SIGTERM) and refuses new ones. */
  drain(): void;
  /** What is open right now: streams, upstream subscriptions, timers (tests check all drop to 0). */
  stats(): { open: number; upstreams: number; timers: number };
}

/**
 * Subscriptions through the gateway by event-then-hydrate: the gateway subscribes to the owning subgraph
 * (with the subscriber's own credential, so the subgraph's checks run) for each event's key, then runs the
 * equivalent query — the client's selection on `Query.<field>(id:)` — through the authorizing executor as
 * the subscriber. An event therefore resolves through the whole supergraph exactly like a query would,
 * with every ownership check in force. Streams sharing a subgraph subscription share it upstream, and
 * those asking the same thing share each event's query.
 */
export function createSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const limits = { ...DEFAULT_SUBSCRIPTION_LIMITS, ...options.limits };
  const { logger } = options;
  const registers = [options.registry];
  let timers = 0;
  const onTimer = (delta: 1 | -1) => void (timers += delta);
  const pool = new UpstreamPool(logger, { onTimer });
  const openGauge = new Gauge({
    name: 'brigade_gateway_subscriptions_open',
    help: 'Subscription streams open at the gateway.',
    registers,
  });
  new Gauge({
    name: 'brigade_gateway_subscription_upstreams_open',
    help: 'Subgraph subscriptions the gateway holds (shared by streams asking the same of the same subgraph as the same identity).',
    registers,
    collect() {
      this.set(pool.size);
    },
  });
  const sent = new Counter({ name: 'brigade_gateway_subscription_events_sent_total', help: 'Events sent to subscribers.', registers });
  const dropped = new Counter({
    name: 'brigade_gateway_subscription_events_dropped_total',
    help: 'Events not sent: stale (version not newer), unchanged (same as the last sent), overflow (client too slow).',
    labelNames: ['reason'] as const,
    registers,
  });
  const ended = new Counter({
    name: 'brigade_gateway_subscriptions_ended_total',
    help: 'Subscription streams ended, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });

  let apollo: ApolloServer<GatewayContext> | undefined;
  let authorized: GatewayExecutor | undefined;
  let apiSchema: GraphQLSchema | undefined;
  let liveFields = new Map<string, LiveField>();
  let loaded = false;
  let draining = false;
  const members = new Set<Member>();
  const groups = new Map<string, Group>();
  const perViewer = new Map<string, number>();
  let heartbeat: NodeJS.Timeout | undefined;

  const startHeartbeat = () => {
    if (heartbeat) return;
    timers++;
    heartbeat = setInterval(() => {
      for (const member of members) if (member.opened) member.writer.heartbeat();
    }, limits.heartbeatMs);
    heartbeat.unref();
  };
  const stopHeartbeat = () => {
    if (!heartbeat) return;
    clearInterval(heartbeat);
    heartbeat = undefined;
    timers--;
  };

  const format = (result: { data?: unknown; errors?: readonly unknown[] }): ResultBody => {
    const body: ResultBody = {};
    if (result.errors?.length) {
      body.errors = result.errors.map((error) => {
        const graphQLError = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error));
        return options.formatError(graphQLError.toJSON(), graphQLError);
      });
    }
    if (result.data !== undefined) body.data = result.data;
    return body;
  };

  /** Errors a subgraph ended its stream with, reduced to what a client may read. */
  const publicErrors = (errors: readonly GraphQLFormattedError[]): GraphQLFormattedError[] =>
    errors.map((e) =>
      options.formatError(
        { message: e.message, ...(e.path ? { path: e.path } : {}), ...(e.extensions ? { extensions: e.extensions } : {}) },
        new GraphQLError(e.message, { extensions: e.extensions ?? {} }),
      ),
    );

  class Member {
    readonly lastVersion = new Map<string, number>();
    readonly lastPayload = new Map<string, string>();
    private expiry?: NodeJS.Timeout;
    private blocked = 0;
    group?: Group;
    private closed = false;
    /** The response starts once the subgraph has the subscription, so a change right after is never missed. */
    opened = false;

    constructor(
      readonly writer: StreamWriter,
      readonly res: ServerResponse,
      readonly context: GatewayContext,
      readonly identity: string,
      expiresAt: number | undefined,
    ) {
      members.add(this);
      perViewer.set(identity, (perViewer.get(identity) ?? 0) + 1);
      openGauge.inc();
      startHeartbeat();
      if (expiresAt !== undefined) {
        timers++;
        // Timers hold at most ~24.8 days; a token lives minutes.
        this.expiry = setTimeout(
          () => {
            this.expiry = undefined;
            timers--;
            this.end('token_expired', [
              { message: 'The access token expired; subscribe again with a fresh one.', extensions: { code: ErrorCode.Unauthenticated } },
            ]);
          },
          Math.max(0, Math.min(expiresAt - Date.now(), 2_000_000_000)),
        );
      }
      res.on('drain', () => (this.blocked = 0));

      res.once('close', () => this.end('client_closed'));
    }

    open(): void {
      if (this.opened || this.closed) return;
      this.opened = true;
      this.writer.open({ 'x-request-id': this.context.requestId });
    }

    send(body: ResultBody, json: string, key: string): void {
      if (this.closed) return;
      this.open();
      if (this.res.writableNeedDrain && ++this.blocked > limits.queueLimit) {
        dropped.inc({ reason: 'overflow' });
        return this.end('overflow', [
          {
            message: 'Events arrived faster than this connection took them; subscribe again to catch up.',
            extensions: { code: ErrorCode.SubscriptionOverflow },
          },
        ]);
      }
      if (this.lastPayload.size >= 1_000) this.lastPayload.clear();
      this.lastPayload.set(key, json);
      this.writer.result(body);
      sent.inc();
    }

    end(reason: EndReason, errors?: readonly GraphQLFormattedError[]): void {
      if (this.closed) return;
      this.closed = true;
      members.delete(this);
      const count = (perViewer.get(this.identity) ?? 1) - 1;
      if (count > 0) perViewer.set(this.identity, count);
      else perViewer.delete(this.identity);
      if (this.expiry) {
        clearTimeout(this.expiry);
        this.expiry = undefined;
        timers--;
      }
      if (members.size === 0) stopHeartbeat();
      this.group?.remove(this);
      this.group = undefined;
      openGauge.dec();
      ended.inc({ reason });
      if (this.res.writableEnded || this.res.destroyed) return;
      if (!this.opened) {
        this.opened = true;
        this.writer.open({ 'x-request-id': this.context.requestId });
      }
      this.writer.end(errors as Record<string, unknown>[] | undefined);
    }
  }

  /** Subscribers of one upstream stream asking the same operation: each event is hydrated once for all. */
  class Group {
    readonly members = new Set<Member>();
    /** The latest state of the entities this stream is about (named by its arguments), for late joiners. */
    private readonly snapshots = new Map<string, { body: ResultBody; json: string; version?: number }>();
    private leave?: () => void;
    private chain: Promise<void> = Promise.resolve();
    private pending = 0;
    private connected = false;

    constructor(
      readonly key: string,
      private readonly document: DocumentNode,
      private readonly source: string,
      private readonly queryHash: string,
      private readonly operation: OperationDefinitionNode,
      private readonly variables: Record<string, unknown>,
      private readonly entityKeys: ReadonlySet<string>,
    ) {}

    start(spec: Parameters<UpstreamPool['join']>[0]): void {
      this.leave = pool.join(spec, {
        connected: () => {
          this.connected = true;
          for (const member of this.members) member.open();
        },
        event: (event) => this.enqueue(event),
        fail: (errors) => {
          const clientErrors = publicErrors(errors);
          const refused = errors.some((e) => e.extensions?.code !== ErrorCode.ServiceUnavailable);
          for (const member of [...this.members]) member.end(refused ? 'upstream_refused' : 'upstream_unavailable', clientErrors);
        },
      });
    }

    add(member: Member): void {
      this.members.add(member);
      member.group = this;
      if (this.connected) member.open();
      // A subscription to one entity starts with its current state: a stream already open has it.
      for (const [key, snapshot] of this.snapshots) {
        if (snapshot.version !== undefined) member.lastVersion.set(key, snapshot.version);
        member.send(snapshot.body, snapshot.json, key);
      }
    }

    remove(member: Member): void {
      this.members.delete(member);
      if (this.members.size > 0) return;
      groups.delete(this.key);
      this.leave?.();
      this.leave = undefined;
    }

    private enqueue(event: LiveEvent): void {
      if (++this.pending > limits.queueLimit * 4) {
        // The gateway itself cannot keep up with this stream: its subscribers re-subscribe and catch up.
        for (const member of [...this.members]) {
          dropped.inc({ reason: 'overflow' });
          member.end('overflow', [
            {
              message: 'Too many events waited for delivery; subscribe again to catch up.',
              extensions: { code: ErrorCode.SubscriptionOverflow },
            },
          ]);
        }
        return;
      }
      // Events are hydrated as they come (several at once) and delivered strictly in the order they came.
      const hydrated = this.hydrate(event).catch((error: unknown) => {
        logger.error({ err: error }, 'live event could not be resolved');
        return undefined;
      });
      this.chain = this.chain
        .then(async () => {
          const result = await hydrated;
          if (result) this.dispatch(event, result);
        })
        .catch((error: unknown) => logger.error({ err: error }, 'live event delivery failed'))
        .finally(() => void this.pending--);
    }

    private newer(member: Member, event: LiveEvent): boolean {
      return event.version === undefined || (member.lastVersion.get(event.key) ?? 0) < event.version;
    }

    /** The event as the client's query would see it now, run as a subscriber it is for. */
    private async hydrate(event: LiveEvent): Promise<{ body: ResultBody; json: string } | undefined> {
      const first = [...this.members].find((member) => this.newer(member, event));
      if (!first || !authorized) {
        dropped.inc({ reason: 'stale' }, this.members.size);
        return undefined;
      }
      const result = await authorized({
        logger: first.context.logger,
        schema: apiSchema,
        request: {
          query: this.source,
          variables: { ...this.variables, [LIVE_KEY_VARIABLE]: event.key },
          operationName: this.operation.name!.value,
        },
        response: { http: { headers: new HeaderMap(), status: undefined } },
        context: first.context,
        queryHash: this.queryHash,
        document: this.document,
        source: this.source,
        operationName: this.operation.name!.value,
        operation: this.operation,
        metrics: {},
      } as unknown as GatewayGraphQLRequestContext);
      const body = format(result as { data?: unknown; errors?: readonly unknown[] });
      return { body, json: JSON.stringify(body) };
    }

    private dispatch(event: LiveEvent, { body, json }: { body: ResultBody; json: string }): void {
      if (this.entityKeys.has(event.key)) {
        this.snapshots.set(event.key, { body, json, ...(event.version !== undefined ? { version: event.version } : {}) });
      }
      // Members as they are now: one that joined while this event was hydrated gets it too.
      for (const member of [...this.members]) {
        if (!this.newer(member, event)) {
          dropped.inc({ reason: 'stale' });
          continue;
        }
        if (event.version !== undefined) {
          if (member.lastVersion.size >= 1_000) member.lastVersion.clear();
          member.lastVersion.set(event.key, event.version);
        }
        if (member.lastPayload.get(event.key) === json) {
          dropped.inc({ reason: 'unchanged' });
          continue;
        }
        member.send(body, json, event.key);
      }
    }
  }

  const endAll = (reason: EndReason, code: string, message: string) => {
    for (const member of [...members]) member.end(reason, [{ message, extensions: { code } }]);
  };

  const refuse = (writer: StreamWriter, context: GatewayContext, body: ResultBody) => {
    writer.open({ 'x-request-id': context.requestId });
    writer.result(body);
    writer.end();
    ended.inc({ reason: 'refused' });
  };

  return {
    intercept(gateway) {
      return {
        async load(loadOptions) {
          const { schema, executor } = await gateway.load(loadOptions);
          const recording: GatewayExecutor = async (requestContext) => {
            if (requestContext.operation?.operation !== 'subscription') return executor(requestContext);
            const slot = (requestContext.context as unknown as GatewayContext).subscription;
            if (!slot) {
              return {
                errors: [
                  new GraphQLError(
                    'A subscription is a stream: send it with Accept: multipart/mixed;subscriptionSpec="1.0" or text/event-stream.',
                    { extensions: { code: ErrorCode.BadRequest } },
                  ),
                ],
              };
            }
            slot.admitted = true;
            return { data: null };
          };
          return { schema, executor: recording };
        },
        onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
        stop: () => gateway.stop(),
      };
    },

    wrap(gateway) {
      gateway.onSchemaLoadOrUpdate(({ apiSchema: schema, coreSupergraphSdl }) => {
        try {
          liveFields = liveFieldsOf(coreSupergraphSdl, schema);
          apiSchema = schema;
        } catch (error) {
          logger.error({ err: error }, 'live fields could not be read from the supergraph; subscriptions refused');
          liveFields = new Map();
        }
        // A new supergraph may change what a subscription means or who may see it: streams end, clients
        // subscribe again against it (the first event of orderUpdated brings them up to date).
        if (loaded) endAll('supergraph_reloaded', ErrorCode.SupergraphReloaded, 'The API was updated; subscribe again.');
        loaded = true;
      });
      return {
        async load(loadOptions) {
          const { schema, executor } = await gateway.load(loadOptions);
          authorized = executor;
          const recording: GatewayExecutor = async (requestContext) => {
            if (requestContext.operation?.operation !== 'subscription') return executor(requestContext);
            const result = await executor(requestContext);
            const slot = (requestContext.context as unknown as GatewayContext).subscription;
            if (slot?.admitted) {
              slot.operation = {
                document: requestContext.document,
                operation: requestContext.operation,
                operationName: requestContext.operationName ?? null,
                variables: (requestContext.request.variables ?? {}) as Record<string, unknown>,
              };
            }
            return result;
          };
          return { schema, executor: recording };
        },
        onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
        stop: () => gateway.stop(),
      };
    },

    attach(server) {
      apollo = server;
    },

    accepts: (req) => streamingTransportOf(req) !== undefined,

    async serve({ req, res, request, context, expiresAt }) {
      const writer = createWriter(streamingTransportOf(req)!, res);
      if (draining || !apollo) {
        return refuse(writer, context, {
          errors: [{ message: 'The gateway is shutting down; subscribe again.', extensions: { code: ErrorCode.ShuttingDown } }],
        });
      }
      const identity = identityOf(context);
      if ((perViewer.get(identity) ?? 0) >= limits.maxPerViewer) {
        return refuse(writer, context, {
          errors: [
            {
              message: `At most ${limits.maxPerViewer} subscriptions may be open at once; close one first.`,
              extensions: { code: ErrorCode.TooManySubscriptions },
            },
          ],
        });
      }
      const slot: SubscriptionSlot = {};
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: asApolloRequest(request),
        context: async () => ({ ...context, subscription: slot }),
      });
      const admitted = slot.operation;
      if (!admitted) {
        const text = response.body.kind === 'complete' ? response.body.string : '';
        let body: ResultBody;
        try {
          body = JSON.parse(text) as ResultBody;
        } catch {
          body = { errors: [{ message: 'The subscription was refused.', extensions: { code: ErrorCode.BadRequest } }] };
        }
        return refuse(writer, context, body);
      }
      const root = rootFieldOf(admitted.operation);
      const live = root ? liveFields.get(root.name.value) : undefined;
      if (!root || !live?.hydrate || !apiSchema) {
        return refuse(writer, context, {
          errors: [
            {
              message: 'This gateway serves a subscription that selects one entity field directly (e.g. orderUpdated(id:) { … }).',
              extensions: { code: ErrorCode.BadRequest },
            },
          ],
        });
      }
      // The same identity (not the same request) decides what a stream may see: it shares upstream with its kind.
      const viewer = context.viewer;
      const upstream = upstreamOperation(admitted.operation, root, live);
      const upstreamVariables = pick(admitted.variables, upstream.variables);
      const upstreamKey = `${live.subgraph}\n${upstream.query}\n${JSON.stringify(upstreamVariables)}\n${viewerKey(viewer)}`;
      const hydrating = hydratingDocument(
        admitted.document,
        admitted.operation,
        root,
        live,
        apiSchema.getSubscriptionType()?.name ?? 'Subscription',
      );
      const source = print(hydrating);
      const groupKey = `${upstreamKey}\n${source}\n${JSON.stringify(admitted.variables)}`;

      const member = new Member(writer, res, context, identity, expiresAt);
      if (res.destroyed) return member.end('client_closed');
      let group = groups.get(groupKey);
      if (!group) {
        const operation = hydrating.definitions[0] as OperationDefinitionNode;
        group = new Group(
          groupKey,
          hydrating,
          source,
          createHash('sha256').update(source).digest('hex'),
          operation,
          admitted.variables,
          argumentValues(root, admitted.variables),
        );
        groups.set(groupKey, group);
        group.add(member);
        group.start({
          key: upstreamKey,
          subgraph: live.subgraph,
          url: options.routingUrl(live.subgraph, live.url),
          query: upstream.query,
          variables: upstreamVariables,
          field: root.name.value,
          keyField: live.keyField,
          versioned: live.versioned,
          credential: () => options.minter.mint(live.subgraph, viewer),
          requestId: context.requestId,
        });
      } else {
        group.add(member);
      }
    },

    drain() {
      draining = true;
      endAll('shutdown', ErrorCode.ShuttingDown, 'The gateway is shutting down; subscribe again.');
      pool.closeAll();
    },

    stats: () => ({ open: members.size, upstreams: pool.size, timers }),
  };
}

/** Apollo answers JSON; a GET stream (EventSource) runs as a POST so its operation may be a subscription. */
function asApolloRequest(request: HTTPGraphQLRequest): HTTPGraphQLRequest {
  const headers = new HeaderMap(request.headers);
  headers.set('accept', 'application/json');
  if (request.method !== 'GET') return { ...request, headers };
  const params = new URLSearchParams(request.search);
  const json = (name: string) => {
    const value = params.get(name);
    if (value === null) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  };
  headers.set('content-type', 'application/json');
  return {
    method: 'POST',
    headers,
    search: '',
    body: Object.fromEntries(
      Object.entries({
        query: params.get('query') ?? undefined,
        operationName: params.get('operationName') ?? undefined,
        variables: json('variables'),
        extensions: json('extensions'),
      }).filter(([, value]) => value !== undefined),
    ),
  };
}

/** The subgraph operation for one stream: the field with the client's arguments, asking only the key. */
function upstreamOperation(operation: OperationDefinitionNode, root: FieldNode, live: LiveField): { query: string; variables: string[] } {
  const used = new Set<string>();
  visit(
    { ...root, selectionSet: undefined, directives: [] },
    {
      Variable: (node) => void used.add(node.name.value),
    },
  );
  const field: FieldNode = {
    kind: Kind.FIELD,
    name: root.name,
    arguments: root.arguments ?? [],
    directives: [],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [live.keyField, ...(live.versioned ? ['version'] : [])].map((name) => ({
        kind: Kind.FIELD,
        name: { kind: Kind.NAME, value: name },
      })),
    },
  };
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'subscription' as OperationDefinitionNode['operation'],
        name: { kind: Kind.NAME, value: 'LiveSource' },
        variableDefinitions: (operation.variableDefinitions ?? []).filter((v) => used.has(v.variable.name.value)),
        directives: [],
        selectionSet: { kind: Kind.SELECTION_SET, selections: [field] },
      },
    ],
  };
  return { query: print(document), variables: [...used] };
}

/** The scalar values a field is called with: an event whose key is one of them is about "this" entity. */
function argumentValues(root: FieldNode, variables: Record<string, unknown>): Set<string> {
  const values = new Set<string>();
  for (const argument of root.arguments ?? []) {
    const { value } = argument;
    if (value.kind === Kind.STRING || value.kind === Kind.INT) values.add(value.value);
    if (value.kind === Kind.VARIABLE) {
      const given = variables[value.name.value];
      if (typeof given === 'string' || typeof given === 'number') values.add(String(given));
    }
  }
  return values;
}

function pick(variables: Record<string, unknown>, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((n) => n in variables).map((n) => [n, variables[n]]));
}

/** Who counts against the per-viewer cap: the user (or key), else the client's address. */
function identityOf(context: GatewayContext): string {
  const { viewer } = context;
  if (viewer.kind === 'anonymous') return `ip:${context.clientIp}`;
  return viewerKey(viewer);
}

/** A stable rendering of everything a credential says about the viewer (Sets as sorted lists). */
function viewerKey(viewer: Viewer): string {
  return JSON.stringify(viewer, (_key, value: unknown) => (value instanceof Set ? [...(value as Set<string>)].sort() : value));
}
