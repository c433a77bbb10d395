import type { Queryable } from '@brigade/platform';
import type { RefreshTokenStore, SpentToken, TokenState } from '../domain/ports.js';

export class RefreshTokenRepository implements RefreshTokenStore {
  constructor(private readonly db: Queryable) {}

  async insertFamily(id: string): Promise<void> {
    await this.db.query('INSERT INTO refresh_families (id) VALUES ($1)', [id]);
  }

  /** The family of a token, or undefined when it was never issued. */
  async familyOf(hash: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ family_id: string }>('SELECT family_id FROM refresh_tokens WHERE token_hash = $1', [hash]);
    return rows[0]?.family_id;
  }

  /**
   * Locks the family row until the transaction ends; false when the family is revoked. Every change to a
   * family's tokens takes this lock first, so a revocation waits for a refresh in progress (and then
   * also revokes the token it issued), and a refresh after a revocation sees it.
   */
  async lockLiveFamily(familyId: string): Promise<boolean> {
    const { rows } = await this.db.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM refresh_families WHERE id = $1 FOR UPDATE',
      [familyId],
    );
    return rows[0]?.revoked === false;
  }

  async insert(token: { id: string; familyId: string; userId: string; hash: string; ttlS: number }): Promise<void> {
    await this.db.query(
      `INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [token.id, token.familyId, token.userId, token.hash, token.ttlS],
    );
  }

  /**
   * Marks a live token used in one conditional statement, so of two concurrent refreshes with the same
   * token exactly one gets the row back.
   */
  async spend(hash: string): Promise<SpentToken | undefined> {
    const { rows } = await this.db.query<{ family_id: string; user_id: string }>(
      `UPDATE refresh_tokens SET used_at = now()
       WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
       RETURNING family_id, user_id`,
      [hash],
    );
    const row = rows[0];
    return row && { familyId: row.family_id, userId: row.user_id };
  }

  /** Why a token could not be spent, or undefined when it was never issued. */
  async stateOf(hash: string): Promise<{ familyId: string; state: TokenState } | undefined> {
    const { rows } = await this.db.query<{ family_id: string; used: boolean; revoked: boolean }>(
      `SELECT family_id, used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked
       FROM refresh_tokens WHERE token_hash = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const state: TokenState = row.used ? 'spent' : row.revoked ? 'revoked' : 'expired';
    return { familyId: row.family_id, state };
  }

  /**
   * Revokes the family (its row first, taking the lock a refresh holds, then its tokens); false when it
   * was already revoked. Run it in a transaction: the tokens' update must see every token committed
   * before the family row was locked.
   */
  async revokeFamily(familyId: string): Promise<boolean> {
    const { rows } = await this.db.query(
      'UPDATE refresh_families SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
      [familyId],
    );
    await this.db.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId]);
    return rows.length > 0;
  }
}
