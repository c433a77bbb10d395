import type { StockRepository } from './stockRepository.js';

/**
 * Per-request batching: every `load` made in the same tick (as `_entities` does, one per representation)
 * is answered by one `WHERE item_id = ANY(…)` query. Unknown ids have stock 0.
 */
export class StockLoader {
  private readonly cache = new Map<string, Promise<number>>();
  private pending: { id: string; resolve: (quantity: number) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly repository: StockRepository) {}

  load(id: string): Promise<number> {
    let hit = this.cache.get(id);
    if (!hit) {
      hit = new Promise<number>((resolve, reject) => {
        if (this.pending.length === 0) queueMicrotask(() => void this.flush());
        this.pending.push({ id, resolve, reject });
      });
      this.cache.set(id, hit);
    }
    return hit;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const found = await this.repository.quantities(batch.map((p) => p.id));
      for (const p of batch) p.resolve(found.get(p.id) ?? 0);
    } catch (error) {
      for (const p of batch) {
        this.cache.delete(p.id);
        p.reject(error);
      }
    }
  }
}
