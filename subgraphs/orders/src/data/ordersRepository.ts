import type { Database, Queryable, StationName } from '@brigade/platform';
import type { Order, OrderLine, Rejection } from '../domain/order.js';
import type { KeyClaim, NewOrder, OrderStore } from '../domain/ports.js';
import { VISIBLE_STATUSES, type OrderStatus, type VisibleStatus } from '../domain/status.js';

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  total_cents: number;
  currency: string;
  rejection: Rejection | string | null;
  cancelled_by: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  version: number;
}

interface LineRow {
  order_id: string;
  menu_item_id: string;
  station: StationName;
  quantity: number;
  unit_price_cents: number;
  currency: string;
  name: string;
}

const ORDER_COLUMNS = 'id, customer_id, status, total_cents, currency, rejection, cancelled_by, created_at, updated_at, version';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isOrderId(id: string): boolean {
  return UUID.test(id);
}

/** A position in a newest-first list: strictly after (older than) this order. */
export interface PagePosition {
  readonly createdAtMs: number;
  readonly id: string;
}

export interface PageQuery {
  /** Only this customer's orders (always set for customers: a cursor cannot widen it). */
  readonly customerId?: string;
  readonly status?: VisibleStatus;
  readonly after?: PagePosition;
  readonly limit: number;
}

export class OrdersRepository implements OrderStore {
  constructor(private readonly db: Database) {}

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async get(id: string): Promise<Order | undefined> {
    if (!isOrderId(id)) return undefined;
    const { rows } = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1`, [id]);
    return rows[0] && toOrder(rows[0]);
  }

  async getMany(ids: readonly string[]): Promise<Map<string, Order>> {
    const valid = ids.filter(isOrderId);
    if (valid.length === 0) return new Map();
    const { rows } = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE id = ANY($1::uuid[])`, [valid]);
    return new Map(rows.map((r) => [r.id, toOrder(r)]));
  }

  async findByKey(customerId: string, idempotencyKey: string): Promise<Order | undefined> {
    const { rows } = await this.db.query<OrderRow>(`SELECT ${ORDER_COLUMNS} FROM orders WHERE customer_id = $1 AND idempotency_key = $2`, [
      customerId,
      idempotencyKey,
    ]);
    return rows[0] && toOrder(rows[0]);
  }

  insertPending(order: NewOrder): Promise<Order | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<OrderRow>(
        `INSERT INTO orders (id, customer_id, status, idempotency_key, total_cents, currency)
         VALUES ($1, $2, 'PENDING', $3, $4, $5)
         ON CONFLICT (customer_id, idempotency_key) DO NOTHING
         RETURNING ${ORDER_COLUMNS}`,
        [order.id, order.customerId, order.idempotencyKey, order.totalCents, order.currency],
      );
      if (!rows[0]) return undefined;
      await insertLines(tx, order.id, order.lines);
      return toOrder(rows[0]);
    });
  }

  async claimKey(claim: KeyClaim): Promise<boolean> {
    const { rows } = await this.db.query(
      `INSERT INTO orders (id, customer_id, status, idempotency_key, total_cents, currency)
       VALUES ($1, $2, 'PENDING', $3, 0, '')
       ON CONFLICT (customer_id, idempotency_key) DO NOTHING
       RETURNING id`,
      [claim.id, claim.customerId, claim.idempotencyKey],
    );
    return rows.length > 0;
  }

  fillClaim(order: NewOrder): Promise<Order | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<OrderRow>(
        `UPDATE orders SET total_cents = $2, currency = $3, updated_at = now()
         WHERE id = $1 AND status = 'PENDING' RETURNING ${ORDER_COLUMNS}`,
        [order.id, order.totalCents, order.currency],
      );
      if (!rows[0]) return undefined;
      await insertLines(tx, order.id, order.lines);
      return toOrder(rows[0]);
    });
  }

  async dropClaim(id: string): Promise<void> {
    await this.db.query(
      `DELETE FROM orders WHERE id = $1 AND status = 'PENDING'
         AND NOT EXISTS (SELECT 1 FROM order_lines WHERE order_id = $1)`,
      [id],
    );
  }

  async cancel(id: string, from: readonly OrderStatus[], by: string): Promise<Order | undefined> {
    if (!isOrderId(id)) return undefined;
    const { rows } = await this.db.query<OrderRow>(
      `UPDATE orders SET status = 'CANCELLED', cancelled_by = $3, updated_at = now(), stock_returned_at = NULL
       WHERE id = $1 AND status = ANY($2::text[]) RETURNING ${ORDER_COLUMNS}`,
      [id, from, by],
    );
    return rows[0] && toOrder(rows[0]);
  }

  async markPlaced(id: string, decideBy: Date): Promise<Order | undefined> {
    // clock_timestamp(), not now(): the time of this very statement, however long the transaction waited.
    const { rows } = await this.db.query<OrderRow>(
      `UPDATE orders SET status = 'PLACED', updated_at = now()
       WHERE id = $1 AND status = 'PENDING' AND clock_timestamp() < $2::timestamptz RETURNING ${ORDER_COLUMNS}`,
      [id, decideBy.toISOString()],
    );
    return rows[0] && toOrder(rows[0]);
  }

  async markRejected(id: string, rejection: Rejection, stockReturned: boolean): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE orders SET status = 'REJECTED', rejection = $2::jsonb, updated_at = now(),
         stock_returned_at = CASE WHEN $3::boolean THEN now() END
       WHERE id = $1 AND status = 'PENDING' RETURNING id`,
      [id, JSON.stringify(rejection), stockReturned],
    );
    return rows.length > 0;
  }

  /** Conditional transition: only from one of `from`, so concurrent transitions cannot both apply. */
  async transition(id: string, from: readonly OrderStatus[], to: OrderStatus): Promise<Order | undefined> {
    if (!isOrderId(id)) return undefined;
    const { rows } = await this.db.query<OrderRow>(
      `UPDATE orders SET status = $3, updated_at = now(),
         stock_returned_at = CASE WHEN $3 = 'CANCELLED' THEN NULL ELSE stock_returned_at END
       WHERE id = $1 AND status = ANY($2::text[]) RETURNING ${ORDER_COLUMNS}`,
      [id, from, to],
    );
    return rows[0] && toOrder(rows[0]);
  }

  async markStockReturned(id: string): Promise<void> {
    await this.db.query('UPDATE orders SET stock_returned_at = now() WHERE id = $1 AND stock_returned_at IS NULL', [id]);
  }

  async linesOf(id: string): Promise<OrderLine[]> {
    return (await this.linesOfMany([id])).get(id) ?? [];
  }

  async linesOfMany(orderIds: readonly string[]): Promise<Map<string, OrderLine[]>> {
    const { rows } = await this.db.query<LineRow>(
      `SELECT order_id, menu_item_id, station, quantity, unit_price_cents, currency, name
       FROM order_lines WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position`,
      [orderIds],
    );
    const byOrder = new Map<string, OrderLine[]>();
    for (const row of rows) {
      const line: OrderLine = {
        menuItemId: row.menu_item_id,
        station: row.station,
        quantity: row.quantity,
        unitPriceCents: row.unit_price_cents,
        currency: row.currency,
        name: row.name,
      };
      const list = byOrder.get(row.order_id);
      if (list) list.push(line);
      else byOrder.set(row.order_id, [line]);
    }
    return byOrder;
  }

  /** One page, newest first, of visible orders; `limit` rows at most. */
  async page(query: PageQuery): Promise<Order[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.customerId !== undefined) where.push(`customer_id = ${param(query.customerId)}`);
    if (query.status) where.push(`status = ${param(query.status)}`);
    else where.push(`status = ANY(${param(VISIBLE_STATUSES)}::text[])`);
    if (query.after) {
      where.push(
        `(created_at, id) < (${param(new Date(query.after.createdAtMs).toISOString())}::timestamptz, ${param(query.after.id)}::uuid)`,
      );
    }
    const { rows } = await this.db.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map(toOrder);
  }

  async stalePending(olderThanMs: number, limit: number): Promise<Order[]> {
    const { rows } = await this.db.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders
       WHERE status = 'PENDING' AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY updated_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map(toOrder);
  }

  async releaseOwed(olderThanMs: number, limit: number): Promise<Order[]> {
    const { rows } = await this.db.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders
       WHERE status IN ('REJECTED', 'CANCELLED') AND stock_returned_at IS NULL
         AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY updated_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map(toOrder);
  }
}

async function insertLines(tx: Queryable, orderId: string, lines: readonly OrderLine[]): Promise<void> {
  const params: unknown[] = [orderId];
  const values = lines.map((line, i) => {
    params.push(i, line.menuItemId, line.station, line.quantity, line.unitPriceCents, line.currency, line.name);
    const n = params.length;
    return `($1, $${n - 6}, $${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  await tx.query(
    `INSERT INTO order_lines (order_id, position, menu_item_id, station, quantity, unit_price_cents, currency, name)
     VALUES ${values.join(', ')}`,
    params,
  );
}

/** An order's change as its trigger announced it (see migrations/003_order_events.sql). */
export interface OrderChange {
  readonly order: Order;
  /** The stations the order has lines at. */
  readonly stations: readonly StationName[];
}

export function parseOrderChange(payload: string): OrderChange {
  const row = JSON.parse(payload) as Omit<OrderRow, 'rejection'> & { stations: StationName[] };
  return { order: toOrder({ ...row, rejection: null }), stations: row.stations };
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customer_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    rejection: typeof row.rejection === 'string' ? (JSON.parse(row.rejection) as Rejection) : row.rejection,
    cancelledBy: row.cancelled_by,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    version: Number(row.version),
  };
}
