import type { Database, Queryable } from '@brigade/platform';
import type { SeedStock } from './seed.js';

export class StockRepository {
  constructor(private readonly db: Database) {}

  /** Stock per id; ids this station never stocked are absent (their stock is 0). */
  async quantities(ids: readonly string[], q: Queryable = this.db): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const { rows } = await q.query<{ item_id: string; quantity: number }>(
      'SELECT item_id, quantity FROM stock WHERE item_id = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.item_id, r.quantity]));
  }

  /** Adds to the stock in one statement, so concurrent restocks and reservations never lose an update. */
  async add(itemId: string, quantity: number): Promise<number> {
    const { rows } = await this.db.query<{ quantity: number }>(
      `INSERT INTO stock (item_id, quantity) VALUES ($1, $2)
       ON CONFLICT (item_id) DO UPDATE SET quantity = stock.quantity + EXCLUDED.quantity, updated_at = now()
       RETURNING quantity`,
      [itemId, quantity],
    );
    return rows[0]!.quantity;
  }

  /** Inserts this station's seed stock once in the database's life. */
  async seedOnce(items: readonly SeedStock[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query(`INSERT INTO seeds (name) VALUES ('stock') ON CONFLICT (name) DO NOTHING RETURNING name`);
      if (rows.length === 0) return false;
      for (const item of items) {
        await tx.query('INSERT INTO stock (item_id, quantity) VALUES ($1, $2) ON CONFLICT (item_id) DO NOTHING', [item.id, item.stock]);
      }
      return true;
    });
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}
