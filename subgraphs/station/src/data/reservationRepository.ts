import type { Database, Queryable } from '@brigade/platform';
import type { LineResult, Reservation, StockLine, StoredStatus } from '../domain/reservation.js';
import { StockRepository } from './stockRepository.js';

/** Thrown inside a transaction to roll it back; carries why. */
class Rollback extends Error {
  constructor(readonly reason: 'short' | 'exists') {
    super(reason);
  }
}

/** How often a release retries when a concurrent reserve of the same order commits under it. */
const RELEASE_ATTEMPTS = 5;

/**
 * Reservations of the placeOrder saga. Every stock change is a conditional single-row UPDATE inside a
 * transaction, taken in item-id order; every status change is a conditional UPDATE whose RETURNING
 * decides which of several concurrent callers does the work, so stock is given back exactly once.
 */
export class ReservationRepository {
  private readonly stock: StockRepository;

  constructor(
    private readonly db: Database,
    private readonly ttlMs: number,
  ) {
    this.stock = new StockRepository(db);
  }

  /** `lines` must come from `normalizeLines` (merged, sorted by id). */
  async reserve(orderId: string, lines: readonly StockLine[]): Promise<Reservation> {
    const first = await this.attempt(orderId, lines);
    // The sweeper returns expired holds every interval; only a refusal sweeps first, so no order is refused
    // for stock an expired hold still counts, and the common reserve pays for no sweep.
    if (first.status !== 'REFUSED' || (await this.sweepExpired()) === 0) return first;
    return this.attempt(orderId, lines);
  }

  private async attempt(orderId: string, lines: readonly StockLine[]): Promise<Reservation> {
    try {
      return await this.db.transaction(async (tx) => {
        const existing = await this.read(orderId, tx);
        if (existing) return existing;
        const results: LineResult[] = [];
        for (const line of lines) {
          const { rows } = await tx.query<{ quantity: number }>(
            `UPDATE stock SET quantity = quantity - $2, updated_at = now()
              WHERE item_id = $1 AND quantity >= $2 RETURNING quantity`,
            [line.itemId, line.quantity],
          );
          if (!rows[0]) throw new Rollback('short');
          results.push({ ...line, available: rows[0].quantity });
        }
        // On PostgreSQL a concurrent reserve of the same order blocks here until it commits, then conflicts.
        const { rows } = await tx.query(
          `INSERT INTO reservations (order_id, status, expires_at)
           VALUES ($1, 'HELD', now() + $2 * interval '1 millisecond')
           ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
          [orderId, this.ttlMs],
        );
        if (!rows[0]) throw new Rollback('exists');
        for (const line of lines) {
          await tx.query('INSERT INTO reservation_lines (order_id, item_id, quantity) VALUES ($1, $2, $3)', [
            orderId,
            line.itemId,
            line.quantity,
          ]);
        }
        return { orderId, status: 'HELD', lines: results };
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      if (error.reason === 'exists') return (await this.read(orderId, this.db))!;
      const stock = await this.stock.quantities(lines.map((l) => l.itemId));
      return {
        orderId,
        status: 'REFUSED',
        lines: lines.map((l) => ({ ...l, available: stock.get(l.itemId) ?? 0 })),
      };
    }
  }

  async confirm(orderId: string): Promise<Reservation> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ status: StoredStatus; live: boolean }>(
        'SELECT status, expires_at > now() AS live FROM reservations WHERE order_id = $1 FOR UPDATE',
        [orderId],
      );
      const row = rows[0];
      if (!row) return { orderId, status: 'RELEASED', lines: [] };
      if (row.status === 'HELD') {
        if (row.live) {
          await tx.query(`UPDATE reservations SET status = 'CONFIRMED', updated_at = now() WHERE order_id = $1`, [orderId]);
        } else {
          await this.giveBack(orderId, tx, `status = 'HELD'`);
        }
      }
      return (await this.read(orderId, tx))!;
    });
  }

  async release(orderId: string): Promise<Reservation> {
    return this.db.transaction(async (tx) => {
      for (let attempt = 0; attempt < RELEASE_ATTEMPTS; attempt++) {
        if (await this.giveBack(orderId, tx, `status IN ('HELD', 'CONFIRMED')`)) break;
        const { rows } = await tx.query<{ status: StoredStatus }>(
          `INSERT INTO reservations (order_id, status, expires_at) VALUES ($1, 'RELEASED', now())
           ON CONFLICT (order_id) DO NOTHING RETURNING status`,
          [orderId],
        );
        if (rows[0]) break;
        // The row exists: already released, or a concurrent reserve just committed it (READ COMMITTED:
        // the next statement sees it, so the loop gives that back).
        const current = await this.read(orderId, tx);
        if (current?.status === 'RELEASED') break;
      }
      return (await this.read(orderId, tx))!;
    });
  }

  /** Releases every HELD reservation past its expiry, each in its own transaction; returns how many. */
  async sweepExpired(limit = 100): Promise<number> {
    const { rows } = await this.db.query<{ order_id: string }>(
      `SELECT order_id FROM reservations WHERE status = 'HELD' AND expires_at <= now()
        ORDER BY expires_at LIMIT $1`,
      [limit],
    );
    let released = 0;
    for (const { order_id } of rows) {
      const done = await this.db.transaction((tx) => this.giveBack(order_id, tx, `status = 'HELD' AND expires_at <= now()`));
      if (done) released++;
    }
    return released;
  }

  /**
   * Marks the reservation RELEASED if `condition` holds and, only then, returns its lines' stock — the
   * conditional UPDATE is what makes concurrent releases give back once.
   */
  private async giveBack(orderId: string, tx: Queryable, condition: string): Promise<boolean> {
    const { rows } = await tx.query(
      `UPDATE reservations SET status = 'RELEASED', updated_at = now()
        WHERE order_id = $1 AND ${condition} RETURNING order_id`,
      [orderId],
    );
    if (!rows[0]) return false;
    const lines = await tx.query<{ item_id: string; quantity: number }>(
      'SELECT item_id, quantity FROM reservation_lines WHERE order_id = $1 ORDER BY item_id',
      [orderId],
    );
    for (const line of lines.rows) {
      await tx.query(
        `INSERT INTO stock (item_id, quantity) VALUES ($1, $2)
         ON CONFLICT (item_id) DO UPDATE SET quantity = stock.quantity + EXCLUDED.quantity, updated_at = now()`,
        [line.item_id, line.quantity],
      );
    }
    return true;
  }

  private async read(orderId: string, q: Queryable): Promise<Reservation | undefined> {
    const { rows } = await q.query<{ status: StoredStatus }>('SELECT status FROM reservations WHERE order_id = $1', [orderId]);
    if (!rows[0]) return undefined;
    const lines = await q.query<{ item_id: string; quantity: number; available: number }>(
      `SELECT l.item_id, l.quantity, COALESCE(s.quantity, 0) AS available
         FROM reservation_lines l LEFT JOIN stock s ON s.item_id = l.item_id
        WHERE l.order_id = $1 ORDER BY l.item_id`,
      [orderId],
    );
    return {
      orderId,
      status: rows[0].status,
      lines: lines.rows.map((l) => ({ itemId: l.item_id, quantity: l.quantity, available: l.available })),
    };
  }
}
