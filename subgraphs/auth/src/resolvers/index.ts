import {
  BadUserInputError,
  type BatchLoader,
  ForbiddenError,
  hasScope,
  NotFoundError,
  Scope,
  type SubgraphContext,
  UnauthenticatedError,
} from '@brigade/platform';
import type { Accounts, Session } from '../domain/accounts.js';
import {
  InvalidCredentialsError,
  InvalidInputError,
  InvalidRefreshTokenError,
  UnknownUserError,
} from '../domain/errors.js';
import { isRole } from '../domain/roles.js';
import type { UserRecord } from '../data/users.js';

export interface AuthDeps {
  readonly accounts: Accounts;
}
export interface AuthRequestDeps {
  readonly users: BatchLoader<string, UserRecord>;
}
type Context = SubgraphContext & AuthDeps & AuthRequestDeps;

/** Marks the user of a freshly issued session: its owner is the anonymous caller who just proved it. */
const SESSION_OWNER = Symbol('sessionOwner');
type UserParent = UserRecord & { [SESSION_OWNER]?: true };

async function mapErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InvalidInputError) throw new BadUserInputError(error.message, error.field);
    if (error instanceof InvalidCredentialsError || error instanceof InvalidRefreshTokenError) {
      throw new UnauthenticatedError(error.message);
    }
    if (error instanceof UnknownUserError) throw new NotFoundError(error.message);
    throw error;
  }
}

function payload(session: Session) {
  return { ...session, user: { ...session.user, [SESSION_OWNER]: true } satisfies UserParent };
}

export const resolvers = {
  Query: {
    me: (_: unknown, __: unknown, { viewer, users }: Context) =>
      viewer.kind === 'user' ? users.load(viewer.userId) : null,
    user: (_: unknown, { id }: { id: string }, { users }: Context) => users.load(id),
  },
  Mutation: {
    signUp: (_: unknown, { input }: { input: { email: string; password: string; name: string } }, ctx: Context) =>
      mapErrors(async () => payload(await ctx.accounts.signUp(input))),
    logIn: (_: unknown, { input }: { input: { email: string; password: string } }, ctx: Context) =>
      mapErrors(async () => payload(await ctx.accounts.logIn(input.email, input.password))),
    refreshToken: (_: unknown, { refreshToken }: { refreshToken: string }, ctx: Context) =>
      mapErrors(async () => payload(await ctx.accounts.refresh(refreshToken))),
    logOut: (_: unknown, { refreshToken }: { refreshToken: string }, ctx: Context) =>
      ctx.accounts.logOut(refreshToken),
    grantRole: (_: unknown, { userId, role }: { userId: string; role: string }, ctx: Context) =>
      mapErrors(async () => {
        if (!isRole(role)) throw new InvalidInputError('role', `Unknown role ${role}.`);
        return ctx.accounts.grantRole(userId, role);
      }),
  },
  User: {
    __resolveReference: (ref: { id: string }, { users }: Context) => users.load(ref.id).then((u) => u ?? null),
    email: (user: UserParent, _: unknown, { viewer }: Context) => {
      const allowed =
        user[SESSION_OWNER] === true ||
        (viewer.kind === 'user' &&
          (viewer.userId === user.id || hasScope(viewer, Scope.UsersManage) || hasScope(viewer, Scope.OrdersManage)));
      if (!allowed) throw new ForbiddenError("Only the user and staff may see a user's email.");
      return user.email;
    },
  },
};
