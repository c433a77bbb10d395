import { randomUUID } from 'node:crypto';
import type { Database } from '@brigade/platform';
import { CATEGORY_ORDER, type Category, type MenuItem, type MenuItemChanges, type NewMenuItem } from '../domain/menuItem.js';
import type { SeedItem } from './seed.js';

interface Row {
  id: string;
  name: string;
  description: string | null;
  price_cents: number;
  currency: string;
  category: Category;
}

const COLUMNS = 'id, name, description, price_cents, currency, category';
const CURRENCY = 'USD';

const toItem = (row: Row): MenuItem => ({
  id: row.id,
  name: row.name,
  description: row.description,
  priceCents: row.price_cents,
  currency: row.currency,
  category: row.category,
});

export class MenuRepository {
  constructor(private readonly db: Database) {}

  /** Category in menu order, then name compared bytewise (the same on PGlite and every PostgreSQL locale). */
  async list(category?: Category): Promise<MenuItem[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM menu_items
        WHERE $1::text IS NULL OR category = $1
        ORDER BY array_position($2::text[], category), name COLLATE "C", id`,
      [category ?? null, CATEGORY_ORDER],
    );
    return rows.map(toItem);
  }

  async byIds(ids: readonly string[]): Promise<Map<string, MenuItem>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM menu_items WHERE id = ANY($1::text[])`, [ids]);
    return new Map(rows.map((r) => [r.id, toItem(r)]));
  }

  async create(item: NewMenuItem): Promise<MenuItem> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO menu_items (id, name, description, price_cents, currency, category)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [randomUUID(), item.name, item.description, item.priceCents, CURRENCY, item.category],
    );
    return toItem(rows[0]!);
  }

  /** Applies only the given changes in one statement; undefined when the item does not exist. */
  async update(id: string, changes: MenuItemChanges): Promise<MenuItem | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE menu_items SET
          name = CASE WHEN $2::boolean THEN $3::text ELSE name END,
          description = CASE WHEN $4::boolean THEN $5::text ELSE description END,
          price_cents = CASE WHEN $6::boolean THEN $7::integer ELSE price_cents END,
          updated_at = now()
        WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        changes.name !== undefined,
        changes.name ?? null,
        changes.description !== undefined,
        changes.description ?? null,
        changes.priceCents !== undefined,
        changes.priceCents ?? null,
      ],
    );
    return rows[0] ? toItem(rows[0]) : undefined;
  }

  /** Inserts the seed menu once in the database's life, keeping its fixed ids. */
  async seedOnce(items: readonly SeedItem[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query(`INSERT INTO seeds (name) VALUES ('menu') ON CONFLICT (name) DO NOTHING RETURNING name`);
      if (rows.length === 0) return false;
      for (const item of items) {
        await tx.query(
          `INSERT INTO menu_items (id, name, description, price_cents, currency, category)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
          [item.id, item.name, item.description, item.price, CURRENCY, item.category],
        );
      }
      return true;
    });
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}
