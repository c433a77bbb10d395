import type { Database, Queryable } from '@brigade/platform';
import { SignJWT } from 'jose';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BadUserInputError, NotFoundError } from '@brigade/platform/problems';
import { InvalidCredentialsError, InvalidRefreshTokenError } from './errors.js';
import type { Passwords } from './passwords.js';
import type { AuthStores, UserRecord } from './ports.js';
import { scopesFor, type Role } from './roles.js';
import type { SigningKeys } from './signingKeys.js';
import { PASSWORD_MAX, validateSignUp, type SignUp } from './validation.js';

/** Distinguishes access tokens from Brigade's internal credentials and from anything else signed with JOSE. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** 32 random bytes in base64url; anything far longer is not one of ours and is refused before hashing. */
const REFRESH_TOKEN_MAX_LENGTH = 128;

export interface TokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly accessTokenTtlS: number;
  readonly refreshTokenTtlS: number;
}

export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly user: UserRecord;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Sign-up, log-in, refresh-token rotation and roles: everything that creates or ends a session. */
export class Accounts {
  constructor(
    private readonly db: Database,
    private readonly stores: AuthStores,
    private readonly keys: SigningKeys,
    private readonly settings: TokenSettings,
    private readonly passwords: Passwords,
  ) {}

  async signUp(input: SignUp): Promise<Session> {
    const valid = validateSignUp(input);
    const user = await this.createUser(valid, ['CUSTOMER']);
    if (!user) throw new BadUserInputError('An account with this email already exists.', 'email');
    return this.startSession(user);
  }

  /** Creates the user unless the email is taken (then undefined). */
  async createUser(input: SignUp, roles: readonly Role[]): Promise<UserRecord | undefined> {
    const passwordHash = await this.passwords.hash(input.password);
    return this.stores.users(this.db).insert({
      id: randomUUID(),
      email: input.email,
      name: input.name,
      roles,
      passwordHash,
    });
  }

  async logIn(email: string, password: string): Promise<Session> {
    const user = await this.stores.users(this.db).byEmail(email.trim());
    // Unknown account or absurd password: still pay one scrypt run, so timing tells nothing.
    const stored = user && [...password].length <= PASSWORD_MAX ? user.passwordHash : await this.passwords.dummyHash();
    const matches = await this.passwords.verify(password.slice(0, PASSWORD_MAX * 2), stored);
    if (!user || !matches) throw new InvalidCredentialsError();
    const { passwordHash: _hash, ...record } = user;
    return this.startSession(record);
  }

  /**
   * Spends the refresh token and issues a new pair in the same family. A token that was already spent
   * means it leaked (or a client raced itself): the whole family is revoked. The family row is locked
   * before the token is spent, so a revocation either comes first (and this refresh is refused) or waits
   * for this one to commit and then revokes the token it issued too.
   */
  async refresh(token: string): Promise<Session> {
    if (token.length > REFRESH_TOKEN_MAX_LENGTH) throw new InvalidRefreshTokenError();
    const hash = sha256(token);
    const renewed = await this.db.transaction(async (tx) => {
      const tokens = this.stores.refreshTokens(tx);
      const familyId = await tokens.familyOf(hash);
      if (!familyId || !(await tokens.lockLiveFamily(familyId))) return undefined;
      const spent = await tokens.spend(hash);
      if (!spent) return undefined;
      const [user] = await this.stores.users(tx).byIds([spent.userId]);
      if (!user) return undefined;
      return { user, refreshToken: await this.newRefreshToken(tx, user.id, spent.familyId) };
    });
    if (!renewed) {
      const known = await this.stores.refreshTokens(this.db).stateOf(hash);
      if (known?.state === 'spent') await this.revokeFamily(known.familyId);
      throw new InvalidRefreshTokenError();
    }
    return this.session(renewed.user, renewed.refreshToken);
  }

  /** Revokes the token's family; false when the token is unknown or its family was already revoked. */
  async logOut(token: string): Promise<boolean> {
    if (token.length > REFRESH_TOKEN_MAX_LENGTH) return false;
    const known = await this.stores.refreshTokens(this.db).stateOf(sha256(token));
    return known ? this.revokeFamily(known.familyId) : false;
  }

  private revokeFamily(familyId: string): Promise<boolean> {
    return this.db.transaction((tx) => this.stores.refreshTokens(tx).revokeFamily(familyId));
  }

  async grantRole(userId: string, role: Role): Promise<UserRecord> {
    const user = await this.stores.users(this.db).addRole(userId, role);
    if (!user) throw new NotFoundError(`No user ${userId}.`);
    return user;
  }

  /** Creates the administrator unless an account with that email exists; true when created. */
  async ensureAdmin(email: string, password: string): Promise<boolean> {
    if (await this.stores.users(this.db).byEmail(email)) return false;
    const valid = validateSignUp({ email, password, name: 'Administrator' });
    return (await this.createUser(valid, ['ADMIN', 'STAFF', 'CUSTOMER'])) !== undefined;
  }

  private async startSession(user: UserRecord): Promise<Session> {
    const refreshToken = await this.db.transaction(async (tx) => {
      const familyId = randomUUID();
      await this.stores.refreshTokens(tx).insertFamily(familyId);
      return this.newRefreshToken(tx, user.id, familyId);
    });
    return this.session(user, refreshToken);
  }

  private async newRefreshToken(db: Queryable, userId: string, familyId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.stores.refreshTokens(db).insert({
      id: randomUUID(),
      familyId,
      userId,
      hash: sha256(token),
      ttlS: this.settings.refreshTokenTtlS,
    });
    return token;
  }

  private async session(user: UserRecord, refreshToken: string): Promise<Session> {
    const { kid, alg, key } = await this.keys.current();
    const now = Math.floor(Date.now() / 1000);
    const ttl = this.settings.accessTokenTtlS;
    const accessToken = await new SignJWT({ scope: scopesFor(user.roles), roles: [...user.roles] })
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setSubject(user.id)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(key);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ttl, user };
  }
}
