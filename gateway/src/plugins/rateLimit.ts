import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { HttpError, type Logger, type Viewer } from '@brigade/platform';
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { Redis } from 'ioredis';
import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { GatewayContext } from '../context.js';
import { graphqlRuntime } from './graphqlRuntime.js';

const { GraphQLError } = graphqlRuntime;

export type RateLimitKind = 'ip' | 'user' | 'authField';

export interface RateLimitOptions {
  /** `RATE_LIMIT_WINDOW_S` (default 60): every budget below is per this many seconds. */
  readonly windowSeconds?: number;
  /** `RATE_LIMIT_IP` (default 300): requests per client IP. */
  readonly perIp?: number;
  /** `RATE_LIMIT_USER` (default 600): requests per authenticated user (or API key), whatever the IP. */
  readonly perUser?: number;
  /** `RATE_LIMIT_AUTH_FIELDS` (default 10): calls per client IP of each credential field, every alias counted. */
  readonly perAuthField?: number;
  /** The fields guarded by `perAuthField` (default logIn, signUp, refreshToken): password guessing targets. */
  readonly authFields?: readonly string[];
  /**
   * `TRUST_PROXY` (default false): take the client IP from the last `x-forwarded-for` entry (the address
   * our own proxy saw) instead of the socket. Only behind a proxy that sets it, or clients pick their IP.
   */
  readonly trustProxy?: boolean;
  /** Shared budgets across gateway replicas; in memory (per process) without it. */
  readonly redis?: Redis;
  /** Redis key prefix (default `brigade:rl:`). */
  readonly keyPrefix?: string;
  /** Called on every refusal (metrics). */
  readonly onReject?: (kind: RateLimitKind) => void;
  readonly logger?: Logger;
}

export const RATE_LIMITED_MESSAGE = 'Too many requests.';
const AUTH_FIELDS = ['logIn', 'signUp', 'refreshToken'];

/**
 * Request budgets per client IP and per user, checked in the HTTP route before Apollo runs (a real 429),
 * and per-field budgets for the credential mutations, checked once the document is parsed so that fifty
 * aliased `logIn`s in one request spend fifty. With Redis the budgets are shared by every replica; if Redis
 * fails the limiter keeps counting in memory rather than letting everything through or refusing everyone.
 */
export class RateLimiter {
  private readonly perIp: RateLimiterAbstract;
  private readonly perUser: RateLimiterAbstract;
  private readonly perAuthField: RateLimiterAbstract;
  private readonly authFields: ReadonlySet<string>;
  private readonly authFieldBudget: number;

  constructor(private readonly options: RateLimitOptions = {}) {
    const duration = options.windowSeconds ?? 60;
    const prefix = options.keyPrefix ?? 'brigade:rl:';
    const limiter = (name: string, points: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: `${prefix}${name}`, points, duration });
      if (!options.redis) return memory;
      return new RateLimiterRedis({
        storeClient: options.redis,
        keyPrefix: `${prefix}${name}`,
        points,
        duration,
        insuranceLimiter: memory,
      });
    };
    this.perIp = limiter('ip', options.perIp ?? 300);
    this.perUser = limiter('user', options.perUser ?? 600);
    this.authFieldBudget = options.perAuthField ?? 10;
    this.perAuthField = limiter('field', this.authFieldBudget);
    this.authFields = new Set(options.authFields ?? AUTH_FIELDS);
  }

  clientIp(req: IncomingMessage): string {
    return clientIpOf(req, this.options.trustProxy ?? false);
  }

  /** Spends one request of the client's IP budget; a 429 HttpError when it is exhausted. */
  async checkClient(ip: string): Promise<void> {
    await this.spend(this.perIp, ip, 1, 'ip');
  }

  /** Spends one request of the user's budget, or of the API key's: a key counts exactly as a user does. */
  async checkUser(viewer: Viewer): Promise<void> {
    if (viewer.kind === 'user') await this.spend(this.perUser, viewer.userId, 1, 'user');
    else if (viewer.kind === 'key') await this.spend(this.perUser, `key:${viewer.keyId}`, 1, 'user');
  }

  /** Apollo plugin for the per-field budgets; throws RATE_LIMITED with HTTP 429 and Retry-After. */
  plugin(): ApolloServerPlugin<GatewayContext> {
    const fieldCounts = new WeakMap<DocumentNode, Map<string, Map<string, number>>>();
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ document, operation, contextValue }) => {
          if (!operation) return;
          const key = operation.name?.value ?? '';
          let counts = fieldCounts.get(document)?.get(key);
          if (!counts) {
            counts = new Map();
            countRootFields(operation.selectionSet, document, this.authFields, counts, new Set());
            const perOperation = fieldCounts.get(document) ?? new Map<string, Map<string, number>>();
            perOperation.set(key, counts);
            fieldCounts.set(document, perOperation);
          }
          for (const [field, count] of counts) {
            try {
              await this.spend(this.perAuthField, `${field}:${contextValue.clientIp}`, count, 'authField');
            } catch (error) {
              if (!(error instanceof HttpError)) throw error;
              throw new GraphQLError(RATE_LIMITED_MESSAGE, {
                extensions: {
                  code: 'RATE_LIMITED',
                  http: { status: 429, headers: new HeaderMap([['retry-after', error.headers['retry-after']!]]) },
                },
              });
            }
          }
        },
      }),
    };
  }

  private async spend(limiter: RateLimiterAbstract, key: string, points: number, kind: RateLimitKind): Promise<void> {
    try {
      await limiter.consume(key, points);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // The store failed and no insurance answered: serving beats refusing every client.
        this.options.logger?.warn({ err: rejection, kind }, 'rate limiter unavailable; request allowed');
        return;
      }
      this.options.onReject?.(kind);
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new HttpError(429, 'RATE_LIMITED', RATE_LIMITED_MESSAGE, { 'retry-after': String(retryAfter) });
    }
  }
}

export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const list = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    const last = list.map((s) => s.trim()).filter(Boolean).at(-1);
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

function countRootFields(
  selectionSet: SelectionSetNode,
  document: DocumentNode,
  wanted: ReadonlySet<string>,
  counts: Map<string, number>,
  fragments: ReadonlySet<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (wanted.has(selection.name.value)) counts.set(selection.name.value, (counts.get(selection.name.value) ?? 0) + 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      countRootFields(selection.selectionSet, document, wanted, counts, fragments);
    } else if (!fragments.has(selection.name.value)) {
      const fragment = document.definitions.find(
        (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) {
        countRootFields(fragment.selectionSet, document, wanted, counts, new Set([...fragments, selection.name.value]));
      }
    }
  }
}
