import type { PersistedQueryOptions } from '@apollo/server';
import { Redis } from 'ioredis';

type KeyValueCache = NonNullable<PersistedQueryOptions['cache']>;

/**
 * A Redis connection for shared gateway state (rate-limit budgets, APQ). Commands fail fast while Redis is
 * down instead of queueing, so a Redis outage degrades to per-process behaviour rather than hung requests.
 */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
}

/**
 * Apollo's `KeyValueCache` over ioredis, for the APQ store: a query registered through one gateway replica
 * is found by every other. Keys get `prefix`; `ttl` (seconds) from Apollo wins over `defaultTtlSeconds`.
 */
export class RedisKeyValueCache implements KeyValueCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly options: {
      defaultTtlSeconds?: number;
      /** Longer values are neither stored nor served (APQ: the query-text limit). */
      maxValueLength?: number;
    } = {},
  ) {}

  private fits(value: string): boolean {
    return this.options.maxValueLength === undefined || value.length <= this.options.maxValueLength;
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const value = await this.redis.get(this.prefix + key);
      return value !== null && this.fits(value) ? value : undefined;
    } catch {
      // A miss makes the client resend the full query: the cost of an outage is one round trip.
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    if (!this.fits(value)) return;
    const ttl = options?.ttl === undefined ? this.options.defaultTtlSeconds : options.ttl;
    if (ttl) await this.redis.set(this.prefix + key, value, 'EX', Math.ceil(ttl));
    else await this.redis.set(this.prefix + key, value);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(this.prefix + key)) > 0;
  }
}
