import type { Queryable } from '@brigade/platform';
import { LAST_USED_RESOLUTION_S, type ApiKeyCandidate, type ApiKeyRecord, type ApiKeyStore } from '../domain/ports.js';

interface Row {
  id: string;
  name: string;
  scopes: string[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, scopes, created_by, created_at, expires_at, last_used_at, revoked_at';

const toRecord = (row: Row): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at),
  expiresAt: row.expires_at && new Date(row.expires_at),
  lastUsedAt: row.last_used_at && new Date(row.last_used_at),
  revokedAt: row.revoked_at && new Date(row.revoked_at),
});

export class ApiKeyRepository implements ApiKeyStore {
  constructor(private readonly db: Queryable) {}

  async insert(key: {
    id: string;
    name: string;
    scopes: readonly string[];
    secretHash: Buffer;
    createdBy: string;
    expiresInDays: number | null;
  }): Promise<ApiKeyRecord> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO api_keys (id, name, scopes, secret_hash, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::int IS NULL THEN NULL ELSE now() + make_interval(days => $6::int) END)
       RETURNING ${COLUMNS}`,
      [key.id, key.name, key.scopes, key.secretHash, key.createdBy, key.expiresInDays],
    );
    return toRecord(rows[0]!);
  }

  /** Every key, newest first (revoked and expired ones too: the admin screen shows their history). */
  async list(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at DESC, id`);
    return rows.map(toRecord);
  }

  async byId(id: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  /** The row verification compares against, or undefined. One primary-key read either way. */
  async candidate(id: string): Promise<ApiKeyCandidate | undefined> {
    const { rows } = await this.db.query<Row & { secret_hash: Uint8Array; now: Date; creator_roles: string[] }>(
      `SELECT k.id, k.name, k.scopes, k.created_by, k.created_at, k.expires_at, k.last_used_at, k.revoked_at,
              k.secret_hash, now() AS now, u.roles AS creator_roles
       FROM api_keys k JOIN users u ON u.id = k.created_by WHERE k.id = $1`,
      [id],
    );
    const row = rows[0];
    return (
      row && {
        ...toRecord(row),
        secretHash: Buffer.from(row.secret_hash),
        now: new Date(row.now),
        creatorRoles: row.creator_roles,
      }
    );
  }

  /** Revokes a live key; an already revoked key keeps its first revocation. Undefined for an unknown id. */
  async revoke(id: string, by: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.db.query<Row>(
      `UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
      [id, by],
    );
    return rows[0] ? toRecord(rows[0]) : this.byId(id);
  }

  /**
   * Records a use, but writes only when the stored time is older than LAST_USED_RESOLUTION_S: with the
   * gateway's cache in front, a busy key costs at most one write a minute, never one per request.
   */
  async touch(id: string): Promise<void> {
    await this.db.query(
      `UPDATE api_keys SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [id, LAST_USED_RESOLUTION_S],
    );
  }
}
