/**
 * Per-request batching: every `load` made while resolvers of one level run (an `_entities` call with N
 * representations, the N items of a list) is answered by one `loadMany` call — one `WHERE id = ANY($1)`
 * query instead of N. Results are cached for the rest of the request; create one loader per request.
 */
export class BatchLoader<K, V> {
  private queue: { key: K; resolve: (value: V | undefined) => void; reject: (error: unknown) => void }[] = [];
  private readonly cache = new Map<K, Promise<V | undefined>>();

  /** `loadMany` answers the keys it found; absent keys load as undefined. */
  constructor(private readonly loadMany: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>) {}

  load(key: K): Promise<V | undefined> {
    let hit = this.cache.get(key);
    if (!hit) {
      hit = new Promise<V | undefined>((resolve, reject) => {
        if (this.queue.length === 0) {
          // After the current promise jobs: every sibling resolver of the same list has asked by then.
          void Promise.resolve().then(() => process.nextTick(() => void this.dispatch()));
        }
        this.queue.push({ key, resolve, reject });
      });
      this.cache.set(key, hit);
    }
    return hit;
  }

  loadAll(keys: readonly K[]): Promise<(V | undefined)[]> {
    return Promise.all(keys.map((key) => this.load(key)));
  }

  /** Seeds the cache with rows already loaded (e.g. a page), so they are not loaded again. */
  prime(key: K, value: V): void {
    if (!this.cache.has(key)) this.cache.set(key, Promise.resolve(value));
  }

  private async dispatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      const found = await this.loadMany([...new Set(batch.map((b) => b.key))]);
      for (const b of batch) b.resolve(found.get(b.key));
    } catch (error) {
      for (const b of batch) {
        // A failed load is not remembered: a later load in the same request asks again.
        this.cache.delete(b.key);
        b.reject(error);
      }
    }
  }
}
