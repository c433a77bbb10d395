import { HeaderMap } from '@apollo/server';
import { HttpError, type Logger, type Viewer, ErrorCode } from '@brigade/platform';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Analysis } from '../analysis/index.js';
import { graphqlRuntime } from '../graphqlRuntime.js';
import type { GatewayPlugin } from '../pipeline.js';

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
  /** Shared budgets across gateway replicas; in memory (per process) without it. */
  readonly redis?: Redis;
  /** Redis key prefix (default `brigade:rl:`). */
  readonly keyPrefix?: string;
  /** Called on every refusal (metrics). */
  readonly onReject?: (kind: RateLimitKind) => void;
  readonly logger?: Logger;
}

export const RATE_LIMIT_DEFAULTS = {
  windowSeconds: 60,
  perIp: 300,
  perUser: 600,
  perAuthField: 10,
  authFields: ['logIn', 'signUp', 'refreshToken'],
} as const;

export const RATE_LIMITED_MESSAGE = 'Too many requests.';

/**
 * Per-IP budget in the HTTP stage (before the token is even looked at), per-user budget once the viewer is
 * known, per-credential-field budgets once the operation is analysed: fifty aliased `logIn`s — or a fragment
 * spreading `logIn` twice, spread twice — spend what a naive expansion would call.
 */
export function rateLimitPlugin(options: RateLimitOptions & { analysis: Analysis }): GatewayPlugin {
  const limiter = new RateLimiter(options);
  return {
    name: 'rateLimit',
    http: (exchange) => limiter.checkClient(exchange.clientIp),
    authenticated: (exchange) => limiter.checkUser(exchange.viewer),
    apollo: {
      requestDidStart: async () => ({
        didResolveOperation: async ({ document, operationName, contextValue, request }) => {
          const analysis = options.analysis.of({ context: contextValue, document, operationName, variables: request.variables });
          // Over a limit: refused by that limit's plugin, nothing to spend.
          if (!analysis || analysis.exceeded) return;
          await limiter.checkFields(analysis.rootFieldsByName, contextValue.clientIp);
        },
      }),
    },
  };
}

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
    const duration = options.windowSeconds ?? RATE_LIMIT_DEFAULTS.windowSeconds;
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
    this.perIp = limiter('ip', options.perIp ?? RATE_LIMIT_DEFAULTS.perIp);
    this.perUser = limiter('user', options.perUser ?? RATE_LIMIT_DEFAULTS.perUser);
    this.authFieldBudget = options.perAuthField ?? RATE_LIMIT_DEFAULTS.perAuthField;
    this.perAuthField = limiter('field', this.authFieldBudget);
    this.authFields = new Set(options.authFields ?? RATE_LIMIT_DEFAULTS.authFields);
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

  /** Spends the credential-field budgets of `ip`; a RATE_LIMITED GraphQLError (HTTP 429, Retry-After). */
  async checkFields(rootFields: ReadonlyMap<string, number>, ip: string): Promise<void> {
    for (const [field, count] of rootFields) {
      if (!this.authFields.has(field)) continue;
      try {
        await this.spend(this.perAuthField, `${field}:${ip}`, count, 'authField');
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        throw new GraphQLError(RATE_LIMITED_MESSAGE, {
          extensions: {
            code: ErrorCode.RateLimited,
            http: { status: 429, headers: new HeaderMap([['retry-after', error.headers['retry-after']!]]) },
          },
        });
      }
    }
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
      throw new HttpError(429, ErrorCode.RateLimited, RATE_LIMITED_MESSAGE, { 'retry-after': String(retryAfter) });
    }
  }
}
