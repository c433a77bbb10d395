import type { Queryable } from '@brigade/platform';
import type { UserRecord, UserStore } from '../domain/ports.js';

interface UserRow extends UserRecord {
  readonly password_hash: string;
}

const COLUMNS = 'id, email, name, roles';

export class UserRepository implements UserStore {
  constructor(private readonly db: Queryable) {}

  /** Inserts the user; undefined when the email (case-insensitively) is taken. */
  async insert(user: UserRecord & { passwordHash: string }): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRecord>(
      `INSERT INTO users (id, email, email_lower, name, password_hash, roles)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (email_lower) DO NOTHING
       RETURNING ${COLUMNS}`,
      [user.id, user.email, user.email.toLowerCase(), user.name, user.passwordHash, user.roles],
    );
    return rows[0];
  }

  async byEmail(email: string): Promise<(UserRecord & { passwordHash: string }) | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS}, password_hash FROM users WHERE email_lower = $1`, [
      email.toLowerCase(),
    ]);
    const row = rows[0];
    return row && { id: row.id, email: row.email, name: row.name, roles: row.roles, passwordHash: row.password_hash };
  }

  async byIds(ids: readonly string[]): Promise<UserRecord[]> {
    const { rows } = await this.db.query<UserRecord>(`SELECT ${COLUMNS} FROM users WHERE id = ANY($1::text[])`, [ids]);
    return rows;
  }

  /** Adds `role` once; undefined when the user does not exist. */
  async addRole(id: string, role: string): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRecord>(
      `UPDATE users SET roles = CASE WHEN $2 = ANY(roles) THEN roles ELSE array_append(roles, $2) END
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, role],
    );
    return rows[0];
  }
}
