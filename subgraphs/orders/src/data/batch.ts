/**
 * Collects the keys asked for in one tick and loads them with one call, so resolving N orders (a page,
 * or an `_entities` request with N representations) costs one SQL query instead of N. One per request.
 */
export class BatchLoader<K, V> {
  private queue: { key: K; resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[] = [];
  private readonly cache = new Map<K, Promise<V | undefined>>();

  constructor(private readonly loadMany: (keys: readonly K[]) => Promise<Map<K, V>>) {}

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

  /** Seeds the cache with rows already loaded (e.g. a page of orders), so they are not loaded again. */
  prime(key: K, value: V): void {
    if (!this.cache.has(key)) this.cache.set(key, Promise.resolve(value));
  }

  private async dispatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      const found = await this.loadMany(batch.map((b) => b.key));
      for (const b of batch) b.resolve(found.get(b.key));
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }
}
