import type { MenuItem } from '../domain/menuItem.js';
import type { MenuRepository } from './menuRepository.js';

/**
 * Per-request batching: every `load` made in the same tick (as `_entities` does, one per representation)
 * is answered by one `WHERE id = ANY(…)` query. Results are cached for the rest of the request.
 */
export class MenuItemLoader {
  private readonly cache = new Map<string, Promise<MenuItem | null>>();
  private pending: { id: string; resolve: (item: MenuItem | null) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly repository: MenuRepository) {}

  load(id: string): Promise<MenuItem | null> {
    let hit = this.cache.get(id);
    if (!hit) {
      hit = new Promise<MenuItem | null>((resolve, reject) => {
        if (this.pending.length === 0) queueMicrotask(() => void this.flush());
        this.pending.push({ id, resolve, reject });
      });
      this.cache.set(id, hit);
    }
    return hit;
  }

  loadMany(ids: readonly string[]): Promise<(MenuItem | null)[]> {
    return Promise.all(ids.map((id) => this.load(id)));
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const found = await this.repository.byIds(batch.map((p) => p.id));
      for (const p of batch) p.resolve(found.get(p.id) ?? null);
    } catch (error) {
      for (const p of batch) {
        this.cache.delete(p.id);
        p.reject(error);
      }
    }
  }
}
