import type { Queryable } from '@brigade/platform';
import type { JWK } from 'jose';
import type { SigningKeyRecord, SigningKeyStore } from '../domain/ports.js';

export class SigningKeyRepository implements SigningKeyStore {
  constructor(private readonly db: Queryable) {}

  async lockForRotation(): Promise<void> {
    await this.db.query('LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE');
  }

  /** The newest key not retired: the one new tokens are signed with. */
  async current(): Promise<SigningKeyRecord | undefined> {
    const { rows } = await this.db.query<{ kid: string; private_jwk: JWK | string }>(
      `SELECT kid, private_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1`,
    );
    const row = rows[0];
    return row && { kid: row.kid, privateJwk: parseJson(row.private_jwk) };
  }

  async exists(kid: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM signing_keys WHERE kid = $1', [kid]);
    return rows.length > 0;
  }

  /** Public keys that may still have valid tokens: current ones and those retired less than `graceS` ago. */
  async published(graceS: number): Promise<JWK[]> {
    const { rows } = await this.db.query<{ public_jwk: JWK | string }>(
      `SELECT public_jwk FROM signing_keys
       WHERE retired_at IS NULL OR retired_at + make_interval(secs => $1) > now()
       ORDER BY created_at DESC, kid`,
      [graceS],
    );
    return rows.map((r) => parseJson(r.public_jwk));
  }

  /** Stores `key` as the current key and retires every other current key at now. */
  async rotateTo(key: { kid: string; privateJwk: JWK; publicJwk: JWK }): Promise<void> {
    await this.db.query(`INSERT INTO signing_keys (kid, private_jwk, public_jwk) VALUES ($1, $2::jsonb, $3::jsonb)`, [
      key.kid,
      JSON.stringify(key.privateJwk),
      JSON.stringify(key.publicJwk),
    ]);
    await this.db.query(`UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL AND kid <> $1`, [key.kid]);
  }
}

function parseJson(value: JWK | string): JWK {
  return typeof value === 'string' ? (JSON.parse(value) as JWK) : value;
}
