import {
  BadUserInputError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  UnreachableCaseError,
  hasScope,
  KEY_HAS_NO_USER,
  type Viewer,
} from '@brigade/platform';
import { GraphQLScalarType, Kind } from 'graphql';
import type { OrdersContext } from '../context.js';
import type { OrderChange, PageQuery } from '../data/ordersRepository.js';
import { DEFAULT_PAGE, MAX_PAGE, decodeCursor, encodeCursor } from '../domain/cursor.js';
import type { Order, OrderLine, PlaceOrderOutcome, RequestedLine } from '../domain/order.js';
import { advanceOrder, cancelOrder } from '../domain/orderActions.js';
import { isVisible, type VisibleStatus } from '../domain/status.js';

interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** The scope staff hold (auth grants it); the SDL's `@requiresScopes` names it too. */
const ORDERS_MANAGE = 'orders:manage';

function isStaff(viewer: Viewer): boolean {
  return hasScope(viewer, ORDERS_MANAGE);
}

/** The signed-in user; an API key acts for no user, so it is refused wherever one is needed. */
/** Who acts, as an order records it: a user's id, or `key:<id>` for an API key (which owns no order). */
function actorId(viewer: Viewer): string {
  return viewer.kind === 'key' ? `key:${viewer.keyId}` : userId(viewer);
}

function userId(viewer: Viewer): string {
  if (viewer.kind === 'key') throw new ForbiddenError(KEY_HAS_NO_USER);
  if (viewer.kind !== 'user') throw new UnauthenticatedError();
  return viewer.userId;
}

/** Orders a viewer may see: their own, or any for staff (a key with orders:manage too); never an unplaced (PENDING/REJECTED) one. */
function visibleTo(viewer: Viewer, order: Order | undefined): Order | null {
  if (!order || !isVisible(order.status)) return null;
  if (isStaff(viewer)) return order;
  return viewer.kind === 'user' && order.customerId === viewer.userId ? order : null;
}

async function connection(ctx: OrdersContext, args: PageArgs, filter: Omit<PageQuery, 'after' | 'limit'>) {
  const first = args.first ?? DEFAULT_PAGE;
  if (first < 0) throw new BadUserInputError('first must not be negative.', 'first');
  const limit = Math.min(first, MAX_PAGE);
  const after = args.after ? decodeCursor(args.after) : undefined;
  const rows = await ctx.orders.page({ ...filter, after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  for (const order of page) ctx.orderLoader.prime(order.id, order);
  const edges = page.map((node) => ({ cursor: encodeCursor({ createdAtMs: node.createdAt.getTime(), id: node.id }), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
}

function money(amount: number, currency: string) {
  return { amount, currency };
}

function toResult(outcome: PlaceOrderOutcome) {
  switch (outcome.kind) {
    case 'placed':
      return { __typename: 'OrderPlaced', order: outcome.order };
    case 'rejected':
      return { __typename: 'OrderRejected', ...outcome.rejection };
    default:
      throw new UnreachableCaseError(outcome);
  }
}

const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime cannot represent an invalid date');
    return date.toISOString();
  },
  parseValue: (value) => {
    const date = new Date(value as string);
    if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw new TypeError('DateTime must be an ISO 8601 string');
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
      throw new TypeError('DateTime must be an ISO 8601 string');
    }
    return new Date(ast.value);
  },
});

/** Delivers each order's changes once and in order: an event not newer than the last one sent is dropped. */
function newerOnly(): (change: OrderChange) => boolean {
  const last = new Map<string, number>();
  return ({ order }) => {
    if ((last.get(order.id) ?? 0) >= order.version) return false;
    // Bounded on a long-lived board: forgetting old orders only risks re-sending a stale event of theirs.
    if (last.size >= 10_000) last.clear();
    last.set(order.id, order.version);
    return true;
  };
}

const STATION_OF = { KITCHEN: 'kitchen', BAR: 'bar', BAKERY: 'bakery' } as const;

export const resolvers = {
  DateTime,
  Subscription: {
    orderUpdated: {
      subscribe: async (_: unknown, args: { id: string }, ctx: OrdersContext) => {
        const order = await ctx.orders.get(args.id);
        if (!order || !isVisible(order.status)) throw new NotFoundError('No such order.');
        if (!visibleTo(ctx.viewer, order)) throw new ForbiddenError('This order belongs to another customer.');
        return ctx.orderEvents.subscribe({
          filter: (change) => change.order.id === order.id,
          accept: newerOnly(),
          // Read again once subscribed, so no change committed in between is missed.
          first: async () => {
            const now = await ctx.orders.get(order.id);
            return now && { order: now, stations: [] };
          },
        });
      },
      resolve: (change: OrderChange) => change.order,
    },
    myOrderUpdates: {
      subscribe: (_: unknown, _args: unknown, ctx: OrdersContext) => {
        const customerId = userId(ctx.viewer);
        return ctx.orderEvents.subscribe({ filter: (change) => change.order.customerId === customerId, accept: newerOnly() });
      },
      resolve: (change: OrderChange) => change.order,
    },
    orderBoard: {
      subscribe: (_: unknown, args: { station?: keyof typeof STATION_OF | null }, ctx: OrdersContext) => {
        const station = args.station ? STATION_OF[args.station] : undefined;
        return ctx.orderEvents.subscribe({
          filter: (change) => !station || change.stations.includes(station),
          accept: newerOnly(),
        });
      },
      resolve: (change: OrderChange) => change.order,
    },
  },
  Query: {
    order: async (_: unknown, args: { id: string }, ctx: OrdersContext) => {
      const order = await ctx.orderLoader.load(args.id);
      const visible = visibleTo(ctx.viewer, order);
      // DESIGN.md: not the owner → FORBIDDEN. Orders a customer never sees (PENDING, REJECTED) stay null.
      if (!visible && order && isVisible(order.status)) throw new ForbiddenError('This order belongs to another customer.');
      return visible;
    },
    myOrders: (_: unknown, args: PageArgs, ctx: OrdersContext) => connection(ctx, args, { customerId: userId(ctx.viewer) }),
    orders: (_: unknown, args: PageArgs & { status?: VisibleStatus | null }, ctx: OrdersContext) =>
      connection(ctx, args, { status: args.status ?? undefined }),
  },
  Mutation: {
    placeOrder: async (_: unknown, args: { input: { lines: RequestedLine[]; idempotencyKey?: string | null } }, ctx: OrdersContext) =>
      toResult(
        await ctx.saga.place({
          customerId: userId(ctx.viewer),
          lines: args.input.lines,
          idempotencyKey: args.input.idempotencyKey,
          requestId: ctx.requestId,
          deadline: ctx.deadline,
        }),
      ),
    cancelOrder: (_: unknown, args: { id: string }, ctx: OrdersContext) =>
      cancelOrder(
        { store: ctx.orders, stations: ctx.stations, logger: ctx.logger },
        { userId: actorId(ctx.viewer), isStaff: isStaff(ctx.viewer) },
        args.id,
        ctx.requestId,
      ),
    advanceOrder: (_: unknown, args: { id: string; status: VisibleStatus }, ctx: OrdersContext) =>
      advanceOrder({ store: ctx.orders, stations: ctx.stations, logger: ctx.logger }, args.id, args.status),
  },
  PlaceOrderResult: {
    __resolveType: (result: { __typename: string }) => result.__typename,
  },
  Order: {
    __resolveReference: async (ref: { id: string }, ctx: OrdersContext) => visibleTo(ctx.viewer, await ctx.orderLoader.load(ref.id)),
    customer: (order: Order) => ({ __typename: 'User', id: order.customerId }),
    lines: async (order: Order, _: unknown, ctx: OrdersContext) => (await ctx.lineLoader.load(order.id)) ?? [],
    total: (order: Order) => money(order.totalCents, order.currency),
  },
  OrderLine: {
    name: (line: OrderLine) => line.name,
    menuItem: (line: OrderLine) => ({ __typename: 'MenuItem', id: line.menuItemId }),
    unitPrice: (line: OrderLine) => money(line.unitPriceCents, line.currency),
    subtotal: (line: OrderLine) => money(line.unitPriceCents * line.quantity, line.currency),
  },
  User: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    orders: (user: { id: string }, args: PageArgs, ctx: OrdersContext) => {
      if (!isStaff(ctx.viewer) && userId(ctx.viewer) !== user.id) {
        throw new ForbiddenError("Only the user themself or staff may list a user's orders.");
      }
      return connection(ctx, args, { customerId: user.id });
    },
  },
};
