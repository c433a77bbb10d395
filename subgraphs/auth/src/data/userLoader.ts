import type { UserRecord, UserRepository } from './users.js';

/**
 * Per-request batching: every `load` issued in the same tick (an `_entities` call with N representations
 * resolves them synchronously one after the other) is answered by one `WHERE id = ANY($1)` query.
 */
export class UserLoader {
  private pending = new Map<string, Promise<UserRecord | undefined>>();
  private batch?: Map<string, (user: UserRecord | undefined) => void>;
  private failBatch?: Map<string, (error: unknown) => void>;

  constructor(private readonly users: UserRepository) {}

  load(id: string): Promise<UserRecord | undefined> {
    const known = this.pending.get(id);
    if (known) return known;
    if (!this.batch) {
      const batch = (this.batch = new Map());
      const fail = (this.failBatch = new Map());
      queueMicrotask(() => void this.flush(batch, fail));
    }
    const batch = this.batch;
    const fail = this.failBatch!;
    const promise = new Promise<UserRecord | undefined>((resolve, reject) => {
      batch.set(id, resolve);
      fail.set(id, reject);
    });
    this.pending.set(id, promise);
    return promise;
  }

  private async flush(
    batch: Map<string, (user: UserRecord | undefined) => void>,
    fail: Map<string, (error: unknown) => void>,
  ): Promise<void> {
    this.batch = undefined;
    this.failBatch = undefined;
    try {
      const rows = await this.users.byIds([...batch.keys()]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const [id, resolve] of batch) resolve(byId.get(id));
    } catch (error) {
      for (const reject of fail.values()) reject(error);
    }
  }
}
