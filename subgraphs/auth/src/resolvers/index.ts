import { BadUserInputError, ForbiddenError, hasScope, KEY_HAS_NO_USER } from '@brigade/platform';
import { GraphQLScalarType } from 'graphql';
import type { Session } from '../domain/accounts.js';
import type { KeyManager } from '../domain/apiKeys.js';
import { isRole } from '../domain/roles.js';
import type { UserRecord } from '../domain/ports.js';
import { Scope } from '../domain/scopes.js';
import type { AuthContext as Context } from '../context.js';

/** Marks the user of a freshly issued session: its owner is the anonymous caller who just proved it. */
const SESSION_OWNER = Symbol('sessionOwner');
type UserParent = UserRecord & { [SESSION_OWNER]?: true };

/** The only caller of `apiKeyGrant`: the gateway's own call, which acts for nobody. */
const GATEWAY = 'gateway';

/**
 * Keys are managed by signed-in people only: a key minting keys could outlive every revocation of its
 * own, and each key records the person who made it.
 */
function keyManager({ viewer }: Context): KeyManager {
  if (viewer.kind !== 'user') throw new ForbiddenError('API keys are managed by signed-in users, not by keys.');
  return { userId: viewer.userId, scopes: viewer.scopes };
}

function payload(session: Session) {
  return { ...session, user: { ...session.user, [SESSION_OWNER]: true } satisfies UserParent };
}

export const resolvers = {
  Query: {
    me: (_: unknown, __: unknown, { viewer, users }: Context) => {
      if (viewer.kind === 'key') throw new ForbiddenError(KEY_HAS_NO_USER);
      return viewer.kind === 'user' ? users.load(viewer.userId) : null;
    },
    user: (_: unknown, { id }: { id: string }, { users }: Context) => users.load(id),
    apiKeys: (_: unknown, __: unknown, ctx: Context) => {
      keyManager(ctx);
      return ctx.apiKeys.list();
    },
    apiKeyGrant: (_: unknown, { secret }: { secret: string }, ctx: Context) => {
      // @inaccessible keeps it out of the public API; this keeps it to the gateway's own calls.
      if (ctx.caller !== GATEWAY || ctx.viewer.kind !== 'anonymous') throw new ForbiddenError('Internal field.');
      return ctx.apiKeys.verify(secret).then((grant) => grant ?? null);
    },
  },
  Mutation: {
    signUp: async (_: unknown, { input }: { input: { email: string; password: string; name: string } }, ctx: Context) =>
      payload(await ctx.accounts.signUp(input)),
    logIn: async (_: unknown, { input }: { input: { email: string; password: string } }, ctx: Context) =>
      payload(await ctx.accounts.logIn(input.email, input.password)),
    refreshToken: async (_: unknown, { refreshToken }: { refreshToken: string }, ctx: Context) =>
      payload(await ctx.accounts.refresh(refreshToken)),
    logOut: (_: unknown, { refreshToken }: { refreshToken: string }, ctx: Context) => ctx.accounts.logOut(refreshToken),
    grantRole: (_: unknown, { userId, role }: { userId: string; role: string }, ctx: Context) => {
      if (!isRole(role)) throw new BadUserInputError(`Unknown role ${role}.`, 'role');
      return ctx.accounts.grantRole(userId, role);
    },
    createApiKey: async (
      _: unknown,
      { input }: { input: { name: string; scopes: string[]; expiresInDays?: number | null } },
      ctx: Context,
    ) => {
      const manager = keyManager(ctx);
      const created = await ctx.apiKeys.create(manager, input);
      // The audit trail: who made which key with what. The id only; the secret is never logged.
      ctx.logger.info({ keyId: created.apiKey.id, scopes: created.apiKey.scopes, by: manager.userId }, 'api key created');
      return created;
    },
    revokeApiKey: async (_: unknown, { id }: { id: string }, ctx: Context) => {
      const manager = keyManager(ctx);
      const key = await ctx.apiKeys.revoke(manager, id);
      ctx.logger.info({ keyId: key.id, by: manager.userId }, 'api key revoked');
      return key;
    },
  },
  DateTime: new GraphQLScalarType<Date, string>({
    name: 'DateTime',
    serialize: (value) => (value as Date).toISOString(),
  }),
  User: {
    __resolveReference: (ref: { id: string }, { users }: Context) => users.load(ref.id).then((u) => u ?? null),
    email: (user: UserParent, _: unknown, { viewer }: Context) => {
      const allowed =
        user[SESSION_OWNER] === true ||
        (viewer.kind === 'user' && viewer.userId === user.id) ||
        hasScope(viewer, Scope.UsersManage) ||
        hasScope(viewer, Scope.OrdersManage);
      if (!allowed) throw new ForbiddenError("Only the user and staff may see a user's email.");
      return user.email;
    },
  },
};
