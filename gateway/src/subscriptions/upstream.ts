import { ErrorCode } from '@brigade/platform';
import type { Logger } from '@brigade/platform';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-sse';

/** What an upstream stream tells its listeners. */
export interface UpstreamListener {
  /** The subgraph accepted the subscription: from now on no committed change is missed. */
  connected(): void;
  /** One event: the entity's key (and version when the type has one). */
  event(event: LiveEvent): void;
  /** The subgraph refused or the stream could not be kept: the listener ends with these errors. */
  fail(errors: readonly GraphQLFormattedError[]): void;
}

export interface LiveEvent {
  readonly key: string;
  readonly version?: number;
}

export interface UpstreamSpec {
  /** Identifies the stream: subgraph, operation, variables and the credential's identity. */
  readonly key: string;
  readonly subgraph: string;
  readonly url: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** The response key of the subscribed field and the key/version fields to read from each event. */
  readonly field: string;
  readonly keyField: string;
  readonly versioned: boolean;
  /** A fresh credential for the subgraph, minted for the subscriber. */
  credential(): Promise<string>;
  requestId: string;
}

/** Reconnection after an upstream ends while listeners remain: a replica restarting, a deploy. */
const RETRY_DELAYS_MS = [100, 500, 1_000, 2_000, 4_000];

/**
 * Subgraph subscriptions shared between subscribers: one GraphQL-over-SSE stream per (subgraph, operation,
 * variables, identity), opened for the first listener and closed with the last. A stream that ends while
 * listeners remain is opened again (what was committed meanwhile is not replayed: events are at most once).
 */
export class UpstreamPool {
  private readonly streams = new Map<string, Upstream>();

  constructor(
    private readonly logger: Logger,
    private readonly hooks: { onTimer(delta: 1 | -1): void },
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /** Adds a listener (opening the stream if needed); the returned function removes it. */
  join(spec: UpstreamSpec, listener: UpstreamListener): () => void {
    let stream = this.streams.get(spec.key);
    if (!stream) {
      stream = new Upstream(spec, this.logger, this.hooks, () => this.streams.delete(spec.key));
      this.streams.set(spec.key, stream);
    }
    stream.add(listener);
    const joined = stream;
    return () => joined.remove(listener);
  }

  closeAll(): void {
    for (const stream of [...this.streams.values()]) stream.close();
  }
}

class Upstream {
  private readonly listeners = new Set<UpstreamListener>();
  private client?: Client;
  private dispose?: () => void;
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  private closed = false;
  private isConnected = false;

  constructor(
    private readonly spec: UpstreamSpec,
    private readonly logger: Logger,
    private readonly hooks: { onTimer(delta: 1 | -1): void },
    private readonly onClosed: () => void,
  ) {}

  add(listener: UpstreamListener): void {
    this.listeners.add(listener);
    if (this.isConnected) listener.connected();
    if (!this.dispose && !this.retryTimer) this.open();
  }

  remove(listener: UpstreamListener): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.clearRetry();
    this.dispose?.();
    this.dispose = undefined;
    this.client?.dispose();
    this.client = undefined;
    this.onClosed();
  }

  private open(): void {
    const { spec } = this;
    this.client ??= createClient({
      url: spec.url,
      retryAttempts: 0,
      headers: async () => ({ authorization: `Bearer ${await spec.credential()}`, 'x-request-id': spec.requestId }),
    });
    let received = false;
    this.dispose = this.client.subscribe<Record<string, unknown>>(
      { query: spec.query, variables: spec.variables },
      {
        next: (result) => {
          if (this.closed) return;
          const entity = result.data?.[spec.field] as Record<string, unknown> | null | undefined;
          if (!entity) {
            // A refusal (FORBIDDEN, NOT_FOUND…) or an unusable event: the subgraph's word is final.
            const errors = result.errors?.length ? result.errors : [unavailable('The live source sent an empty event.')];
            return this.failAll(errors);
          }
          received = true;
          this.attempt = 0;
          const key = entity[spec.keyField];
          const version = entity.version;
          const event: LiveEvent = {
            key: String(key),
            ...(spec.versioned && typeof version === 'number' ? { version } : {}),
          };
          for (const listener of [...this.listeners]) listener.event(event);
        },
        error: (error: unknown) => {
          this.dispose = undefined;
          this.isConnected = false;
          if (this.closed) return;
          this.logger.warn({ err: error, subgraph: spec.subgraph }, 'live source failed');
          this.reopen(received);
        },
        complete: () => {
          this.dispose = undefined;
          this.isConnected = false;
          if (this.closed) return;
          this.reopen(received);
        },
      },
      {
        connected: () => {
          this.isConnected = true;
          for (const listener of [...this.listeners]) listener.connected();
        },
      },
    );
  }

  private reopen(received: boolean): void {
    if (received) this.attempt = 0;
    const delay = RETRY_DELAYS_MS[this.attempt++];
    if (delay === undefined) {
      return this.failAll([unavailable(`The ${this.spec.subgraph} service stopped sending live updates.`)]);
    }
    this.hooks.onTimer(1);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.hooks.onTimer(-1);
      if (!this.closed) this.open();
    }, delay);
  }

  private clearRetry(): void {
    if (!this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.hooks.onTimer(-1);
  }

  private failAll(errors: readonly GraphQLFormattedError[]): void {
    const listeners = [...this.listeners];
    this.close();
    for (const listener of listeners) listener.fail(errors);
  }
}

function unavailable(message: string): GraphQLFormattedError {
  return { message, extensions: { code: ErrorCode.ServiceUnavailable } };
}
